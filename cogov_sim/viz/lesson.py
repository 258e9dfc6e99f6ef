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
GRID = {**POOLED, "mechanisms.grid_discovery": True}
SUPERVISION = {**GRID, "mechanisms.supervision": True, "supervision.prior_days": 1095.0}


@dataclass(frozen=True)
class Step:
    """One step: a title, what to notice, what to try (each 中文, English) and its set-up."""

    title: tuple[str, str]
    notice: tuple[str, str]
    try_: tuple[str, str]
    right: Callable[[], Side | None]

    def text(self, part: str, lang: str) -> str:
        pair = {"title": self.title, "notice": self.notice, "try": self.try_}[part]
        return pair[0] if lang == "zh" else pair[1]

    def settings(self, seed: int, common: dict[str, Any]) -> Settings:
        """Left: 九龙治水 as it was; right: this step's change (same seed and common values)."""
        return Settings(Side.of("fragmented"), self.right(), seed=seed, common=dict(common))


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
         ("按「播放」，到第 180 天暂停，记下平均解决时间。",
          "Press Play, pause at day 180 and note the mean resolution time."),
         lambda: None),
    Step(("只换结构：一个门进", "Only the structure: one door"),
         ("右侧只把结构换成社治委：一号通受理、所有相关部门同时派单。转办几乎消失，但总时间只少了几天——人手和发现方式都没变。",
          "The right side changes only the structure: one door, all departments dispatched at "
          "once. Transfers almost vanish, yet the total time falls only a few days: staff and "
          "discovery are unchanged."),
         ("把「事项发生率」调高，看哪一侧先被压垮。",
          "Raise the issue rate and see which side is overwhelmed first."),
         lambda: Side.of("fragmented", **STRUCTURE)),
    Step(("加上一支队伍统管", "Add the pooled street team"),
         ("三成部门力量下沉到街道综合队伍，谁有空谁办：时间条里的「排队」变短。",
          "A third of department staff sink into one street team that serves any category: "
          "the waiting part of the bar shrinks."),
         ("在「设置」里减少部门办理组，看综合队伍能顶多久。",
          "In Settings, cut department staff and see how long the pooled team copes."),
         lambda: Side.of("fragmented", **POOLED)),
    Step(("加上网格主动发现", "Add grid discovery"),
         ("网格员在居民投诉前发现事项（未诉先办）：时间条最左边的「被发现」缩短。",
          "Grid workers find issues before residents complain: the discovery part, at the left "
          "of the bar, shrinks."),
         ("切到「社区网络」，看灰色三角（未被发现）是否变少。",
          "Open Community and see whether grey triangles (undiscovered) thin out."),
         lambda: Side.of("fragmented", **GRID)),
    Step(("加上督办与考评", "Add supervision and rating"),
         ("超期事项被提级改派，部门按考评用心办：「真正解决的比例」上升。",
          "Overdue issues are lifted and reassigned, and rated departments solve more: the share "
          "really solved rises."),
         ("换一个随机种子，看这一步的效果是否还在。",
          "Try another seed: does this step's effect hold?"),
         lambda: Side.of("fragmented", **SUPERVISION)),
    Step(("完整改革：加上党建引领与服务中心", "The full reform: party mobilisation and centres"),
         ("右侧现在就是社治委情景。议事会和党群服务中心让更多居民参与：看「参与率」，以及参与带来的更早发现。",
          "The right side is now the committee scenario. Councils and service centres bring "
          "more residents in: watch participation, and the earlier discovery it brings."),
         ("打开「为什么更快」，看每项改变各贡献了多少天。",
          "Open Why is it faster to see how many days each change contributes."),
         lambda: Side.of("committee")),
)


def step_count() -> int:
    return len(STEPS)
