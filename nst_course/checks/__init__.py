"""Checkers for the coding exercises: your function against the package's, on random tensors.

Each checker prints what it tried and, when something is off, *what* is off
(shape, normalisation, batch handling, transposition), in the spirit of
nn-zero-to-hero's ``cmp()`` (exact / approximate / maxdiff) and CS231n's
relative error. It returns True when the function passes. A stub that raises
``NotImplementedError`` or returns None is reported as "not yet solved"; any
other input a learner can type (a value instead of a function, a crash, NaN,
the wrong type) gets one sentence about that input, never a traceback.

Where each is used: :func:`check_gram_matrix`, :func:`check_style_loss`:
notebooks/03_gram_matrices.ipynb; :func:`check_stop_when_flat`:
notebooks/06_resolution_and_regularisation.ipynb; :func:`check_adain`:
notebooks/07_beyond_gatys.ipynb; the "write it yourself" checkers:
notebooks/08_write_it_yourself.ipynb; lesson 09's checker: :mod:`nst_course.checks.training`;
lesson 10's: :mod:`nst_course.checks.video`.

One module per lesson's checkers (:mod:`.gram`, :mod:`.stopping`, :mod:`.adain`,
:mod:`.yourself`, :mod:`.training`, :mod:`.video`) on shared machinery (:mod:`._core`);
the lessons import them from here.
"""

from ._core import NOT_SOLVED, cmp, rel_error
from .adain import check_adain
from .gram import check_gram_matrix, check_style_loss
from .stopping import check_stop_when_flat
from .training import check_break_even
from .video import check_temporal_loss
from .yourself import check_content_loss, check_optimisation_loop, check_tv_loss

__all__ = ["NOT_SOLVED", "check_adain", "check_break_even", "check_content_loss", "check_gram_matrix",
           "check_optimisation_loop", "check_stop_when_flat", "check_style_loss", "check_temporal_loss",
           "check_tv_loss", "cmp", "rel_error"]
