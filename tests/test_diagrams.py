"""The two static diagrams: they draw, and their alt text says what they show."""
import matplotlib

matplotlib.use("Agg")

from nst_course.diagrams import PIPELINE_ALT, pipeline_figure, vgg19_alt, vgg19_figure  # noqa: E402
from nst_course.plotting import readability_problems  # noqa: E402


def test_pipeline_names_every_part():
    texts = " ".join(t.get_text() for t in pipeline_figure().axes[0].texts)
    for part in ("content", "style", "VGG19", "conv4_2", "Gram", "gradient"):
        assert part in texts and part.lower() in PIPELINE_ALT.lower()


def test_vgg19_shapes_follow_the_input_size():
    texts = [t.get_text() for t in vgg19_figure(128).axes[0].texts]
    assert "64 ch\n128×128" in texts and "512 ch\n8×8" in texts
    assert sum(t.startswith("conv") for t in texts) == 16
    assert "512 channels at 8 px" in vgg19_alt(128)


def test_both_diagrams_are_readable_on_a_slide():
    # at most 9 in wide, text at least 11 pt, nothing overlapping (they were 11-12 in, 8-10 pt)
    for fig in (pipeline_figure(), vgg19_figure(256), vgg19_figure(512)):
        assert readability_problems(fig) == []
