"""The multi-resolution schedule (colorlib/speedups/multires.py): a wrapper around the paper's colorize() that keeps
one β/α schedule across its stages and always reports a full-size image."""
import numpy as np
import pytest

from colorlib.errors import ColorkitError, Interrupted
from colorlib.paper.colorize import colorize
from colorlib.paper.config import Config
from colorlib.paper.optimize import style_weight_at
from colorlib.speedups.multires import Schedule, Stage, colorize_multires, stage_config

CFG = Config.from_preset("neural-style", size=48, iterations=6, precision="fp32", device="cpu", decay=0.05)


def test_one_full_size_stage_is_the_paper_run_itself(motorcycle):
    """A schedule of one stage at the full size covering the whole schedule is colorize(), to the bit."""
    plain = colorize(motorcycle["content"], motorcycle["style"], CFG)
    staged = colorize_multires(motorcycle["content"], motorcycle["style"], CFG, Schedule((Stage(1.0, 6, 6),)))
    assert np.array_equal(plain.image, staged.image)
    assert [r["total_loss"] for r in plain.history] == [r["total_loss"] for r in staged.history]


def test_beta_continues_across_stages_and_ends_where_the_paper_ends(motorcycle):
    schedule = Schedule((Stage(0.5, 4, 4), Stage(1.0, 2, 2)))
    res = colorize_multires(motorcycle["content"], motorcycle["style"], CFG, schedule)
    betas = [row["style_weight"] for row in res.history]
    expected = [style_weight_at(CFG.style_weight, CFG.decay, i) for i in range(6)]
    assert betas == pytest.approx(expected, rel=1e-9)
    assert [row["stage"] for row in res.history] == [0, 0, 0, 0, 1, 1]
    first, second = res.run["schedule"]
    assert first["size"] == 24 and second["size"] == 48
    assert second["style_weight_in"] == pytest.approx(CFG.style_weight * (1 - CFG.decay) ** 4)
    full = colorize(motorcycle["content"], motorcycle["style"], CFG, iterations=0)
    assert res.image.shape == full.image.shape


def test_a_compressed_stage_covers_its_span_in_fewer_steps():
    """Three steps over six schedule iterations: β falls by (1 − d)^6 over the stage, not (1 − d)^3."""
    cfg = stage_config(CFG, Stage(1.0, 3, 6), offset=10)
    assert cfg.style_weight == pytest.approx(CFG.style_weight * (1 - CFG.decay) ** 10)
    assert (1 - cfg.decay) ** 3 == pytest.approx((1 - CFG.decay) ** 6)


def test_stopping_in_a_small_stage_still_reports_a_full_size_image(motorcycle):
    calls = []

    def stop_in_first_stage(state):
        calls.append(state.iteration)
        if state.iteration == 2:
            raise KeyboardInterrupt

    schedule = Schedule((Stage(0.5, 4, 4), Stage(1.0, 2, 2)))
    with pytest.raises(Interrupted) as caught:
        colorize_multires(motorcycle["content"], motorcycle["style"], CFG, schedule, on_step=stop_in_first_stage)
    full = colorize(motorcycle["content"], motorcycle["style"], CFG, iterations=0).image
    assert caught.value.result.image.shape == full.shape
    assert caught.value.result.run["schedule"][0]["iterations_run"] == 2
    assert calls == [1, 2]


def test_progress_counts_across_stages(motorcycle):
    seen = []
    schedule = Schedule((Stage(0.5, 3, 3), Stage(1.0, 2, 2)))
    colorize_multires(motorcycle["content"], motorcycle["style"], CFG, schedule,
                      on_step=lambda s: seen.append((s.iteration, s.iterations)))
    assert seen == [(i, 5) for i in range(1, 6)]


def test_the_last_stage_stops_when_the_image_stops_changing(motorcycle):
    schedule = Schedule((Stage(0.5, 2, 2), Stage(1.0, 30, 30)), stop_change=1.0, stop_window=2)
    res = colorize_multires(motorcycle["content"], motorcycle["style"], CFG, schedule)
    assert res.run["schedule"][1]["iterations_run"] == 3  # any change is below 1.0: stops after the window fills
    assert res.run["stop_reason"] == "image stopped changing"


@pytest.mark.parametrize("stages", [(), (Stage(0.5, 3, 3),), (Stage(0.0, 3, 3), Stage(1.0, 1, 1)),
                                    (Stage(1.0, 0, 3),)])
def test_bad_schedules_are_one_line_errors(stages):
    with pytest.raises(ColorkitError):
        Schedule(tuple(stages))


def test_a_schedule_reads_back_from_its_text():
    schedule = Schedule((Stage(0.5, 300, 800), Stage(1.0, 200, 200)))
    assert Schedule.parse(schedule.to_text()) == schedule
    assert Schedule.parse("0.25:10,1:5").stages == (Stage(0.25, 10, 10), Stage(1.0, 5, 5))


@pytest.mark.parametrize("text", ["", "1", "a:3", "0.5:3:2:1,1:1", "0.5:3,0.5:3"])
def test_a_bad_schedule_text_is_one_line(text):
    with pytest.raises(ColorkitError):
        Schedule.parse(text)
