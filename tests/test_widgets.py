"""The in-class exercises, driven without a kernel: set dropdown values, click buttons."""

import numpy as np
import pytest
import torch

from nst_course.widgets import MatchingExercise, SortingExercise, check_order, order_feedback


def _images(n):
    gen = torch.Generator().manual_seed(0)
    return [torch.rand(1, 3, 8, 8, generator=gen) for _ in range(n)]


@pytest.fixture
def sorting():
    # shown as E T L S Y (seed 000); right order spells STYLE
    return SortingExercise(_images(5), "ETLSY", "STYLE",
                           titles=["conv5_1", "conv2_1", "conv4_1", "conv1_1", "conv3_1"])


def _pick(ex, letters):
    for dropdown, letter in zip(ex.dropdowns, letters):
        dropdown.value = letter


def test_sorting_right_order_via_widgets(sorting):
    _pick(sorting, "STYLE")
    sorting.check_button.click()
    assert sorting.feedback.startswith("Right")
    assert "Right" in sorting.feedback_label.value and "green" in sorting.feedback_label.value


def test_sorting_wrong_order_counts_positions_and_hints(sorting):
    _pick(sorting, "STLYE")  # Y and L swapped: 3 of 5 in place
    sorting.check_button.click()
    assert sorting.feedback.startswith("Not yet: 3 of 5 positions right")
    assert "Hint" in sorting.feedback
    assert "firebrick" in sorting.feedback_label.value


def test_sorting_incomplete_or_repeated_is_explained(sorting):
    _pick(sorting, "SSYLE")
    sorting.dropdowns[4].value = "?"
    sorting.check_button.click()
    assert "exactly once" in sorting.feedback
    assert "missing E, T" in sorting.feedback and "more than once: S" in sorting.feedback


def test_sorting_reveal_sets_answer_and_names_layers(sorting):
    sorting.reveal_button.click()
    assert [d.value for d in sorting.dropdowns] == list("STYLE")
    assert "S (conv1_1)" in sorting.feedback and "E (conv5_1)" in sorting.feedback
    sorting.check_button.click()
    assert sorting.feedback.startswith("Right")


def test_sorting_plain_fallback(sorting, capsys):
    assert sorting.check("s t y l e") is True
    assert "Right" in capsys.readouterr().out
    assert sorting.check("ETLSY") is False
    assert "Not yet" in capsys.readouterr().out


def test_check_order_function(capsys):
    assert check_order("STYLE") is True
    assert capsys.readouterr().out.startswith("Right")
    assert check_order("S-T-Y-E-L") is False
    out = capsys.readouterr().out
    assert "3 of 5" in out and "Hint" in out
    assert check_order("stylee") is False


def test_order_feedback_other_answers():
    assert order_feedback("BAC", "BAC")[0]
    right, msg = order_feedback("ABC", "BAC")
    assert not right and "1 of 3" in msg


def test_sorting_rejects_inconsistent_answer():
    with pytest.raises(ValueError):
        SortingExercise(_images(3), "ABC", "ABD")
    with pytest.raises(ValueError):
        SortingExercise(_images(3), "AB", "AB")


def test_sorting_widget_has_one_tile_per_image(sorting):
    tiles = sorting.widget.children[0].children
    assert len(tiles) == 5
    assert [t.children[0].value for t in tiles] == [
        f"<b style='font-size:1.4em'>{c}</b>" for c in "ETLSY"]
    assert tiles[0].children[1].value[:4] == b"\x89PNG"


OPTIONS = ["large content & large style loss", "small content & large style loss",
           "small content & small style loss", "large content & small style loss"]


@pytest.fixture
def matching():
    return MatchingExercise(_images(4), OPTIONS, answer=[2, 0, 3, 1],
                            reveal_text="measured: A content 1.0 style 0.1")


def test_matching_right_via_widgets(matching):
    for d, k in zip(matching.dropdowns, [2, 0, 3, 1]):
        d.value = OPTIONS[k]
    matching.check_button.click()
    assert matching.feedback == "Right: all 4 matched."


def test_matching_wrong_and_unanswered(matching):
    matching.dropdowns[0].value = OPTIONS[2]
    matching.dropdowns[1].value = OPTIONS[1]
    matching.check_button.click()
    assert matching.feedback.startswith("Not yet: 1 of 4 right")
    assert "2 still unanswered" in matching.feedback
    for d in matching.dropdowns[2:]:
        d.value = OPTIONS[0]
    matching.check_button.click()
    assert "Hint" in matching.feedback


def test_matching_reveal_shows_measured_losses(matching):
    matching.reveal_button.click()
    assert "measured: A content 1.0" in matching.feedback
    assert "A: small content & small style loss" in matching.feedback
    assert "&amp;" in matching.feedback_label.value  # html-escaped in the widget
    assert [d.value for d in matching.dropdowns] == [OPTIONS[k] for k in (2, 0, 3, 1)]


def test_matching_plain_fallback_list_and_dict(matching, capsys):
    assert matching.check([OPTIONS[k] for k in (2, 0, 3, 1)]) is True
    assert matching.check([2, 0, 3, 1]) is True
    assert matching.check({"A": 2, "B": 0, "C": 3, "D": 1}) is True
    assert matching.check({"A": 0, "B": 2, "C": 3, "D": 1}) is False
    assert "2 of 4" in capsys.readouterr().out.splitlines()[-1]
    assert matching.check([2, 0]) is False
    with pytest.raises(KeyError):
        matching.check({"Z": 0})


def test_matching_rejects_unknown_answer():
    with pytest.raises(ValueError):
        MatchingExercise(_images(2), OPTIONS, ["nonsense", OPTIONS[0]])


def test_images_of_any_kind_render():
    from PIL import Image

    imgs = [torch.rand(3, 5, 7), np.random.rand(6, 6), Image.new("RGB", (4, 4)),
            np.zeros((5, 5, 3), dtype=np.uint8)]
    ex = SortingExercise(imgs, "ABCD", "DCBA")
    assert len(ex.widget.children[0].children) == 4
    assert repr(ex) == "SortingExercise(4 images labelled ABCD)"


def test_shuffled_hides_the_order_and_keeps_the_answer():
    # image k is a constant k/10: the answer must list the labels of 0, 1, 2, 3, 4 in turn
    images = [torch.full((1, 3, 4, 4), k / 10) for k in range(5)]
    ex = SortingExercise.shuffled(images, titles=[f"layer {k}" for k in range(5)], seed=3)
    assert ex.labels == list("ABCDE")
    shown_values = [round(img[0, 0, 0, 0].item() * 10) for img in ex.images]
    assert shown_values != [0, 1, 2, 3, 4]
    by_value = dict(zip(shown_values, ex.labels))
    assert ex.answer == "".join(by_value[k] for k in range(5))
    assert ex.titles == [f"layer {v}" for v in shown_values]
    assert ex.check(ex.answer, quiet=True) and not ex.check("ABCDE", quiet=True)


def test_unanswered_placeholder_says_what_to_type(capsys):
    assert check_order("?????") is False
    assert capsys.readouterr().out.startswith("Not answered yet: type the 5 letters E, L, S, T, Y")
