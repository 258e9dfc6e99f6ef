"""A mechanism written from outside the package (docs/mechanisms.md): community mediators
(人民调解员) take community issues at their own station before self-organisations do.

Put this file in a folder on $COGOV_MECHANISM_PATH; `cogov params`, `cogov mechanisms`,
`cogov explain`'s dials and the visualiser's switches then list it.
"""

from cogov_sim.agents import UnitStation
from cogov_sim.mechanisms import Mechanism
from cogov_sim.params import P

SWITCH = "mechanisms.mediation"


class Mediation(Mechanism):
    name = "mediation"
    title, title_zh = "community mediators switched on", "开启人民调解"
    switch, off = SWITCH, {SWITCH: True}
    order = 35  # before self-organisations (40): mediators are asked first
    station_kinds = ("mediation",)
    series = ("mediators_busy",)
    params = [
        P(SWITCH, "bool", False, "", "Community mediators take community issues first",
          "人民调解员优先承接社区事项", live=True, degenerate=False, source="assumption"),
        P("mediation.mediators", "int", 2, "server", "Mediators in the street", "街道调解员人数",
          low=0, high=500, source="assumption"),
        P("mediation.service_days", "float", 1.0, "day", "Mean days to mediate an issue",
          "调解一件事项的平均天数", low=0.01, high=365.0, source="assumption"),
    ]

    def attach(self):
        m = self.model
        self.station = UnitStation(m, "mediation", "mediators", "人民调解员", 0,
                                   self.p["mediation.service_days"], field_work=False)
        self.channel = m.channel_code(self.station)

    def stations(self):
        return (self.station,)

    def apply(self):
        self.station.account(self.model.now)
        self.station.servers = int(self.p["mediation.mediators"]) if self.on else 0

    def take(self, issue):
        m = self.model
        if not (self.on and m.ledger.community[issue.i] and self.station.free()):
            return False
        m.take_in_community(issue, self.station, self.channel, m.now)
        return True

    def observe(self):
        return (self.station.busy,)
