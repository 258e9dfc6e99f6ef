"""The guided lesson: the reform from 九龙治水 to 社治委 one mechanism at a time, in the
order `cogov explain` lists the dials. Each step sets up both sides and says what to notice
and what to try (like NetLogo's Info tab, but it drives the live model)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cogov_sim.viz.sides import Settings, Side

STRUCTURE = {"structure": "committee"}
POOLED = {**STRUCTURE, "mechanisms.pooled_fraction": 0.3}
SUPERVISION = {**POOLED, "mechanisms.supervision": True}


def fragmented() -> Side:
    return Side.of("fragmented")


def stage(label: tuple[str, str], overrides: dict[str, Any]) -> Callable[[], Side]:
    """九龙治水 with the reform so far, under the step's own name."""
    return lambda: Side.of("fragmented", label, **overrides)


ONE_DOOR = stage(("一门受理（只换结构）", "one door (structure only)"), STRUCTURE)
PLUS_POOL = stage(("一门＋综合队伍", "one door + street team"), POOLED)
PLUS_SUPERVISION = stage(("一门＋队伍＋督办", "one door + team + supervision"), SUPERVISION)


@dataclass(frozen=True)
class Step:
    """One step: a title, what to notice, what to try (each 中文, English) and its set-up: the
    left side is the previous step's right (so the table's difference is this step's own
    change); from the third change on, 九龙治水 runs alongside for the running total."""

    title: tuple[str, str]
    notice: tuple[str, str]
    try_: tuple[str, str]
    right: Callable[[], Side | None]
    left: Callable[[], Side] = fragmented
    running_total: bool = False

    def text(self, part: str, lang: str) -> str:
        pair = {"title": self.title, "notice": self.notice, "try": self.try_}[part]
        return pair[0] if lang == "zh" else pair[1]

    def settings(self, seed: int, common: dict[str, Any]) -> Settings:
        """Both sides (same seed and common values) and, for a running total, 九龙治水."""
        return Settings(self.left(), self.right(), seed=seed, common=dict(common),
                        reference=fragmented() if self.running_total else None)


STEPS: tuple[Step, ...] = (
    Step(("总览：同一个社区，改革前与改革后", "Overview: one community, before and after"),
         ("左边是九龙治水，右边是社治委的完整改革，同一个社区、同样的事项。表格里的「差」是右减左；时间条显示一件事的天数花在哪个环节。",
          "Left: 九龙治水; right: the full 社治委 reform, on the same community with the same "
          "issues. The table's last column is right minus left; the time bar shows which stage "
          "an issue's days go to."),
         ("按「播放」。然后按「下一步」，把改革一项一项加上去，看每一项带来了什么。",
          "Press Play. Then press Next to add the reform one piece at a time and see what each "
          "piece brings."),
         lambda: Side.of("committee")),
    Step(("起点：九龙治水", "Start: 九龙治水 (nine dragons)"),
         ("居民要猜该找哪个部门，猜错就被转办；跨部门的事一个部门办完再交给下一个。看「每件转办次数」和时间条里的「分派」「协同/移交」。",
          "Residents guess which department to go to; wrong guesses are transferred, and issues "
          "needing several departments pass from one to the next. Watch transfers per issue and "
          "the routing and coordination parts of the time bar."),
         ("按「播放」，到第 180 天暂停，记下解决时间（限制平均）。",
          "Press Play, pause at day 180 and note the resolution time (restricted mean)."),
         lambda: None),
    Step(("只换结构：一个门进", "Only the structure: one door"),
         ("右侧只把结构换成社治委：一号通受理、所有相关部门同时派单，各部门分散的网格并成一张网。转办几乎消失，事项更早被发现；"
          "但中心的接线员有限，事项要在中心排队分类。「差」一栏就是这一步自己的效果。",
          "The right side changes only the structure: one door, all departments dispatched at "
          "once, the departments' separate grids merged into one. Transfers almost vanish and "
          "issues are found sooner; but the centre has few operators, so issues queue there to "
          "be classified. The last column is this step's own effect."),
         ("把「事项发生率」调高到 0.6 以上，看哪一侧先被压垮：一个门也可能成为瓶颈"
          "（看解决时间和「仍未解决」，别看仅已解决事项的平均）。",
          "Raise the issue rate above 0.6 and see which side is overwhelmed first: one door can "
          "become the bottleneck (watch the resolution time and the share still open, not the "
          "closed-only mean)."),
         ONE_DOOR),
    Step(("加上一支队伍统管", "Add the pooled street team"),
         ("左侧是上一步（一门受理），右侧再把三成部门力量下沉到街道综合队伍，谁有空谁办：时间条里的「排队」变短，"
          "但综合队伍是通才，办得慢一些、解决得少一些。「差」是这一步自己的效果，下方的累计是相对九龙治水的总效果。",
          "Left: the previous step (one door); right: a third of department staff also sink "
          "into one street team that serves any category: the waiting part of the bar shrinks, "
          "but generalists work slower and solve less. The last column is this step's own "
          "effect; the running total below is against 九龙治水."),
         ("在「设置」里拖动「一支队伍统管」的比例，或减少部门办理组，看综合队伍能顶多久。",
          "In Settings, move the pooled-team share, or cut department staff, and see how long "
          "the pooled team copes."),
         PLUS_POOL, ONE_DOOR, True),
    Step(("加上督办与考评", "Add supervision and rating"),
         ("超期事项被提级改派，部门按季度考评逐步用心办：「真正解决」的比例在每次考评后上升；"
          "而现场会、考评和拉练也占用部门人员的时间。考评看的是回访怎么说：受压的部门会把一些没解决的事"
          "「简单办结」上报为已解决，所以账面上的解决率比真实的高（命令行 cogov compare 里两者并列）。",
          "Overdue issues are lifted and reassigned, and departments rated each quarter solve "
          "more after each rating; meetings, ratings and drills also take departments' staff "
          "time. Ratings count what callers say: a department under pressure closes some "
          "unsolved issues informally and reports them solved, so the books show more solved "
          "than really are (cogov compare shows both)."),
         ("换一个随机种子，看这一步的效果是否还在。",
          "Try another seed: does this step's effect hold?"),
         PLUS_SUPERVISION, PLUS_POOL, True),
    Step(("完整改革：加上党建引领与服务中心", "The full reform: party mobilisation and centres"),
         ("右侧现在就是社治委情景。议事会和党群服务中心让更多居民参与：看「参与率」，以及参与带来的更早发现。",
          "The right side is now the committee scenario. Councils and service centres bring "
          "more residents in: watch participation, and the earlier discovery it brings."),
         ("打开「为什么更快」，看每项改变各贡献了多少天（沙普利分解与这里逐项相加的顺序不同，数字也会不同）。",
          "Open Why is it faster to see how many days each change contributes (the Shapley "
          "decomposition averages over every order, so its numbers differ from these steps')."),
         lambda: Side.of("committee"), PLUS_SUPERVISION, True),
)


def step_count() -> int:
    return len(STEPS)
