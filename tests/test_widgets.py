"""The in-class exercises, driven without a kernel: set dropdown values, click buttons."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nst_course.widgets import Answer, MatchingExercise, SortingExercise, check_order, order_feedback


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


def test_reveal_returns_a_closed_answer_and_leaves_the_widget_alone(sorting):
    _pick(sorting, "ETL??")
    answer = sorting.reveal()
    assert isinstance(answer, Answer)
    assert "S (conv1_1)" in repr(answer) and "E (conv5_1)" in str(answer)
    page = answer._repr_html_()
    assert page.startswith("<details") and "<summary>Answer</summary>" in page and " open" not in page
    assert "S (conv1_1)" in page
    # nothing written into the widget: the dropdowns, the feedback line and its label as they were
    assert [d.value for d in sorting.dropdowns] == list("ETL??")
    assert sorting.feedback == "" and sorting.feedback_label.value == ""


def test_reveal_prints_nothing(sorting, matching, capsys):
    sorting.reveal()
    matching.reveal()
    assert capsys.readouterr().out == ""


def test_sorting_reveal_button_sets_answer_and_names_layers(sorting):
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
                            reveal_text="measured: A content 1.0 style 0.1", hint="look at the losses")


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
    assert "Hint: look at the losses" in matching.feedback


def test_matching_reveal_is_closed_and_holds_the_measured_losses(matching):
    answer = matching.reveal()
    assert "measured: A content 1.0" in str(answer) and "A: small content" in str(answer)
    assert "<details" in answer._repr_html_() and "&amp;" in answer._repr_html_()
    assert matching.feedback == "" and all(d.value == "?" for d in matching.dropdowns)


def test_matching_reveal_button_shows_measured_losses(matching):
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
    assert matching.check({"Z": 0}) is False
    assert "'Z' is not one of the images A, B, C, D" in capsys.readouterr().out.splitlines()[-1]


@pytest.mark.parametrize("choice, says", [
    ([9] * 4, "no option number 9"),
    ([-1, 0, 1, 2], "no option number -1"),
    (None, "None"),
    ("ABCD", "the text 'ABCD'"),
    (42, "the number 42"),
    ([None] * 4, "None"),
    (["big", 0, 1, 2], "'big' is not one of the 4 descriptions"),
    ([0, 1, 2], "a list of 3 items"),
    ({"A": 7}, "no option number 7"),
    ({3.5: 0}, "3.5 is not one of the images"),
    ([True, 0, 1, 2], "the value True"),
])
def test_matching_wrong_input_gets_a_sentence_about_it(matching, capsys, choice, says):
    assert matching.check(choice) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and says in out, out
    assert matching.feedback == out.strip() and "firebrick" in matching.feedback_label.value


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


@pytest.mark.parametrize("answer, says", [
    (None, "None (nothing)"),
    (["S", None], "holds None"),
    (12345, "the number 12345"),
    ([1, 2, 3, 4, 5], "holds the number 1"),
    (3.5, "the number 3.5"),
    ({"S": 1}, "a dict of 1 item"),
    (object(), "a object"),
])
def test_check_order_wrong_types_get_a_sentence_about_the_input(capsys, answer, says):
    assert check_order(answer) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and says in out, out
    assert "N, O" not in out  # ['S', None] is not read as the letters of "None"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=12), st.binary(max_size=8),
                 st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=7),
                 st.dictionaries(st.text(max_size=2), st.integers(), max_size=3)))
def test_check_order_answers_anything_with_a_sentence(answer):
    right, msg = order_feedback(answer, "STYLE", "hint")
    assert isinstance(right, bool) and msg.endswith((".", ")")) and msg.split()[0] in ("Right:", "Not")
    assert right == (msg.startswith("Right"))


_MATCH = MatchingExercise(_images(4), ["a", "b", "c", "d"], answer=[2, 0, 3, 1])
_SORT = SortingExercise(_images(3), "ABC", "CAB")


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.text(max_size=6),
                 st.lists(st.one_of(st.none(), st.booleans(), st.integers(-3, 9), st.floats(),
                                    st.sampled_from(["a", "b", "c", "d", "?", "e"])), max_size=6),
                 st.dictionaries(st.one_of(st.sampled_from("ABCDZ"), st.integers(-1, 5)),
                                 st.one_of(st.integers(-1, 5), st.sampled_from(["a", "x", None])),
                                 max_size=5)))
def test_exercise_checks_answer_anything_with_a_sentence(choice):
    for ex in (_MATCH, _SORT):
        right = ex.check(choice, quiet=True)
        assert isinstance(right, bool)
        assert ex.feedback.startswith("Right" if right else "Not")
        assert ex.feedback.endswith((".", ")"))


def test_unanswered_placeholder_says_what_to_type(capsys):
    assert check_order("?????") is False
    assert capsys.readouterr().out.startswith("Not answered yet: type the 5 letters E, L, S, T, Y")


def test_matching_without_a_hint_gives_no_other_quiz_hint(capsys):
    # each quiz brings its own hint: lesson 04's loss wording must not appear in lesson 05's quiz
    quiz = MatchingExercise(_images(2), ["a", "b"], answer=[0, 1])
    assert quiz.check(["b", "a"]) is False
    assert capsys.readouterr().out.strip() == "Not yet: 0 of 2 right."


# --- issue 22: quizzes built from the true order, shuffled inside the widget -----------------

def _tiles(n):
    return [torch.full((1, 3, 8, 8), k / n) for k in range(n)]


STARTS = ["white noise", "the content photo", "the style image"]


def test_matching_shuffled_from_the_true_order_hides_it(capsys):
    images = _tiles(3)
    quiz = MatchingExercise.shuffled(images, STARTS, STARTS, hint="look at the grain")
    assert quiz.captions == ["A", "B", "C"]
    # shown neither in the given order nor in the options' order (here the same)
    assert quiz.answer != STARTS and sorted(quiz.answer) == sorted(STARTS)
    # each shown image carries its own true answer
    for img, ans in zip(quiz.images, quiz.answer):
        assert ans == STARTS[next(k for k, t in enumerate(images) if t is img)]
    assert quiz.shown(STARTS) == quiz.answer and quiz.shown(images) == quiz.images
    capsys.readouterr()
    assert quiz.check(dict(zip("ABC", quiz.answer))) is True
    assert not quiz.check({"A": "?", "B": "?", "C": "?"})
    printed = capsys.readouterr().out
    assert "Not yet: 0 of 3 right. (3 still unanswered.)" in printed
    # the static fallback's answer is checked without printing the key
    assert not any(a in printed.split("Right:")[0] for a in STARTS)
    # the same quiz is shuffled the same way each run (the lesson's prose can rely on the widget)
    again = MatchingExercise.shuffled(images, STARTS, STARTS)
    assert again.answer == quiz.answer


def test_matching_shuffled_avoids_the_options_order_and_keeps_details():
    options = ["swirls", "mosaic", "waves", "composition", "coffee", "astronaut"]
    made = ["mosaic", "waves", "coffee"]  # the options' order restricted to the answers
    for seed in range(30):
        quiz = MatchingExercise.shuffled(_tiles(3), options, made, details=["d1", "d2", "d3"], seed=seed)
        assert quiz.answer not in (made,) and sorted(quiz.answer) == sorted(made)
        assert quiz.details == quiz.shown(["d1", "d2", "d3"])
    text = quiz.reveal().text
    assert all(f"{c}: {a} ({d})" in text for c, a, d in zip(quiz.captions, quiz.answer, quiz.details))


def test_matching_shuffled_refuses_bad_input_with_a_sentence():
    with pytest.raises(ValueError, match="2 answers for 3 images"):
        MatchingExercise.shuffled(_tiles(3), STARTS, STARTS[:2])
    with pytest.raises(ValueError, match="'paint' is not one of the options"):
        MatchingExercise.shuffled(_tiles(3), STARTS, ["paint", *STARTS[1:]])
    with pytest.raises(ValueError, match="3 images need 3 labels"):
        MatchingExercise.shuffled(_tiles(3), STARTS, STARTS, labels="AB")


def test_sorting_shuffled_without_a_seed_uses_the_hidden_one():
    a = SortingExercise.shuffled(_tiles(5), titles=["c1", "c2", "c3", "c4", "c5"])
    b = SortingExercise.shuffled(_tiles(5), titles=["c1", "c2", "c3", "c4", "c5"])
    assert a.answer == b.answer != "ABCDE"
    assert a.shown(["c1", "c2", "c3", "c4", "c5"]) == a.titles


def test_hidden_pick_is_stable_and_refuses_impossible_picks():
    from nst_course.widgets import hidden_pick

    names = ["swirls", "mosaic", "waves", "composition"]
    picked = hidden_pick(names, 2)
    assert picked == hidden_pick(names, 2) and len(set(picked)) == 2 and set(picked) <= set(names)
    assert picked == [n for n in names if n in picked]  # in the candidates' order: no hint in it
    with pytest.raises(ValueError, match="cannot pick 5 of the 4 names"):
        hidden_pick(names, 5)


def test_answer_keys_lists_what_the_checks_compare_with():
    from nst_course.widgets import answer_keys

    quiz = MatchingExercise.shuffled(_tiles(3), ["x", "y", "z", "w"], ["x", "y", "z"])
    sort = SortingExercise.shuffled(_tiles(4), titles=["t1", "t2", "t3", "t4"], labels="ABCD")
    keys = answer_keys()
    assert {"kind": "matching", "keys": [quiz.answer], "answer_set": ["x", "y", "z"]} in keys
    assert sort.titles != ["t1", "t2", "t3", "t4"]  # the titles as shown: which image is which
    assert {"kind": "sorting", "keys": [list(sort.answer), sort.titles], "answer_set": None} in keys
