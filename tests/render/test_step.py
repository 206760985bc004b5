"""Step navigation and quiz scoring on a recorded capture, no terminal and no root."""

from wirelens.app.command import sample_path
from wirelens.app.notebook import explain_file
from wirelens.render.step import Quiz, Stepper


def test_stepper_moves_and_stops_at_the_ends():
    s = Stepper(10)
    assert s.counter == "1 / 10"
    for key in (" ", "right", "n"):
        assert s.press(key)
    assert s.counter == "4 / 10"
    s.press("left")
    assert s.index == 2
    s.press("end")
    s.press(" ")
    assert s.counter == "10 / 10"
    s.press("home")
    s.press("left")
    assert s.index == 0
    assert not s.press("q")


def test_quiz_asks_about_every_packet_and_scores():
    exp = explain_file(sample_path())
    quiz = Quiz(exp, seed=3)
    assert [q.packet for q in quiz.questions] == [p.index for p in exp.packets]
    first = quiz.questions[0]
    assert first.choices[first.answer].flags == "S"
    assert first.choices[first.answer].sender == "client"
    assert len(set(first.choices)) == 4
    for i, q in enumerate(quiz.questions):
        quiz.answer(q, q.answer if i % 2 == 0 else (q.answer + 1) % 4)
    assert quiz.score == (5, 10)


def test_the_same_seed_asks_the_same_questions():
    exp = explain_file(sample_path())
    assert Quiz(exp, seed=7).questions == Quiz(exp, seed=7).questions
