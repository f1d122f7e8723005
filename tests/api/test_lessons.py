"""``/api/lessons``: the list, one lesson, and the check of a prediction (right, wrong, unreadable, unknown)."""

from __future__ import annotations

from fastapi.testclient import TestClient

CHECK = "/api/lessons/conv-by-hand/steps/{n}/check"


def test_the_list_is_in_teaching_order(client: TestClient) -> None:
    lessons = client.get("/api/lessons").json()["lessons"]
    assert [x["id"] for x in lessons][:3] == ["conv-by-hand", "pooling", "unpooling"]
    assert lessons[0]["title"]["zh-CN"] == "手算卷积" and lessons[0]["steps"] == 5


def test_a_lesson_gives_its_steps_as_written(client: TestClient) -> None:
    step = client.get("/api/lessons/conv-by-hand").json()["steps"][2]
    assert step["run"]["layers"][0]["weight"] == [[[[1, 2, 1], [0, 1, 0], [2, 1, 0]]]]
    assert "expected" not in str(step["predict"].keys())  # the answer is not given away


def test_a_value_by_hand_right_and_wrong(client: TestClient) -> None:
    # Example 1: stride 1 gives [[10, 12, 12], ...]; the lesson file says nothing of 10, torch does.
    right = client.post(CHECK.format(n=3), json={"answer": "10"}).json()
    assert right["correct"] and right["expected"] == 10.0 and right["tolerance"] == 0
    assert "= 10." in right["explanation"]["en"] and "= 10。" in right["explanation"]["zh-CN"]
    wrong = client.post(CHECK.format(n=3), json={"answer": "12"}).json()
    assert not wrong["correct"] and wrong["answer"] == 12.0 and wrong["expected"] == 10.0


def test_a_shape_in_any_notation_and_the_formula_with_its_numbers(client: TestClient) -> None:
    for typed in ("1, 1, 2, 2", "(1,1,2,2)", "1×1×2×2", "[1, 1, 2, 2]"):
        answer = client.post(CHECK.format(n=4), json={"answer": typed}).json()
        assert answer["correct"], typed
    wrong = client.post(CHECK.format(n=4), json={"answer": "1, 1, 3, 3"}).json()
    assert not wrong["correct"] and wrong["expected"] == [1, 1, 2, 2]
    assert wrong["formula"].startswith("H, W: ⌊(5 + 2·0") and wrong["formula"].endswith("= 2; C_out = out_channels = 1")


def test_a_fraction_within_the_tolerance(client: TestClient) -> None:
    url = "/api/lessons/pooling/steps/5/check"  # divisor_override=3: 4/3
    assert client.post(url, json={"answer": "4/3"}).json()["correct"]
    assert client.post(url, json={"answer": "1.333"}).json()["correct"]
    assert not client.post(url, json={"answer": "1.3"}).json()["correct"]


def test_unreadable_answers_and_unknown_steps_are_refused_in_words(client: TestClient) -> None:
    r = client.post(CHECK.format(n=3), json={"answer": "ten"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "answer"] and "'ten'" in r.json()["detail"][0]["msg"]
    r = client.post(CHECK.format(n=2), json={"answer": "three by three"})
    assert r.status_code == 422 and "whole numbers" in r.json()["detail"][0]["msg"]
    assert client.post(CHECK.format(n=1), json={"answer": "1"}).status_code == 404  # step 1 asks for nothing
    r = client.post(CHECK.format(n=9), json={"answer": "1"})
    assert r.status_code == 404 and "steps 1 to 5" in r.json()["detail"]
    r = client.get("/api/lessons/no-such-lesson")
    assert r.status_code == 404 and "conv-by-hand" in r.json()["detail"]


def test_the_untrained_loss_is_about_ln_10_as_the_lesson_says(client: TestClient) -> None:
    answer = client.post("/api/lessons/first-training/steps/3/check", json={"answer": "2.303"}).json()
    assert answer["correct"] and abs(answer["expected"] - 2.303) <= 0.3
