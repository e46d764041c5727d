"""The makes a simulated fleet is drawn from: who built the charger and how it reports faults.

The vendors are invented; their fault dialects are the ones field reports describe (vendor codes in
`vendorErrorCode`, codes buried in `info`, ChargeX and EVgo conventions, 2.0.1 NotifyEvent).
"""

from dataclasses import dataclass

from chargers.models import OcppVersion


@dataclass(frozen=True)
class Make:
    """One charger make: identity for BootNotification, protocol, ports, and its fault dialect."""

    key: str  # short, used in simulated charge point ids
    vendor: str
    model: str
    firmware: str
    ocpp_version: str  # an OcppVersion value
    connectors: int
    max_power_w: int
    faults: tuple[str, ...]  # names in dialects.SCENARIOS this make reports, in its own words
    boot_transient: bool = False  # reports Faulted then Available at every boot
    advisory_while_charging: bool = False  # surfaces a fan warning as Faulted while energy flows

    @property
    def is_v201(self) -> bool:
        return self.ocpp_version == OcppVersion.V201


MAKES: tuple[Make, ...] = (
    Make(
        key="VLT",
        vendor="Voltaro",
        model="VX-22 Twin",
        firmware="4.12.3",
        ocpp_version=OcppVersion.V16,
        connectors=2,
        max_power_w=22_000,
        faults=("estop_f400", "empty_fault", "connector_lock", "ground_failure"),
        boot_transient=True,
    ),
    Make(
        key="AMP",
        vendor="Ampwell",
        model="DC-60 Duo",
        firmware="2.2.7",
        ocpp_version=OcppVersion.V16,
        connectors=2,
        max_power_w=60_000,
        faults=("estop_bracketed", "dc_module_idle", "markup_info", "over_voltage"),
        advisory_while_charging=True,
    ),
    Make(
        key="BRL",
        vendor="Brightline",
        model="CX-150",
        firmware="1.8.0-mrec",
        ocpp_version=OcppVersion.V16,
        connectors=2,
        max_power_w=150_000,
        faults=("estop_chargex", "ground_chargex", "empty_fault"),
    ),
    Make(
        key="RDC",
        vendor="Roadcharge",
        model="R-50",
        firmware="3.0.14",
        ocpp_version=OcppVersion.V16,
        connectors=1,
        max_power_w=50_000,
        faults=("estop_evgo", "pilot_evgo", "markup_info"),
        boot_transient=True,
    ),
    Make(
        key="NGR",
        vendor="Northgrid",
        model="NG-Flex 2",
        firmware="5.1.0",
        ocpp_version=OcppVersion.V201,
        connectors=2,
        max_power_w=22_000,
        faults=("problem_event", "estop_event", "rcd_tripped"),
        boot_transient=True,
    ),
    Make(
        key="KST",
        vendor="Kestrel Power",
        model="K7 HPC",
        firmware="7.0.2",
        ocpp_version=OcppVersion.V201,
        connectors=2,
        max_power_w=180_000,
        faults=("problem_event", "estop_event", "lock_event"),
        advisory_while_charging=True,
    ),
)

MAKES_BY_KEY = {make.key: make for make in MAKES}
