"""What chargers say and what is said to them: the raw log and the domain rows taken from it."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from chargers.models.fleet import Charger, Connector


class OcppVersion(models.TextChoices):
    V16 = "1.6", "OCPP 1.6"
    V201 = "2.0.1", "OCPP 2.0.1"


class Direction(models.TextChoices):
    IN = "in", "Charger → Faultline"
    OUT = "out", "Faultline → charger"


class MessageType(models.IntegerChoices):
    UNPARSEABLE = 0, "Unparseable"
    CALL = 2, "CALL"
    CALLRESULT = 3, "CALLRESULT"
    CALLERROR = 4, "CALLERROR"


class OcppMessage(models.Model):
    """One OCPP-J frame, valid or not, in either direction, exactly as it crossed the wire."""

    # No index of its own: the (charger, newest first) index below leads with charger_id.
    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="messages", db_index=False)
    # On PostgreSQL the table is partitioned by day on this column (migration 0003), so the database's
    # primary key is (id, received_at); ids still come from one sequence and stay unique.
    received_at = models.DateTimeField(default=timezone.now)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    message_type = models.PositiveSmallIntegerField(choices=MessageType.choices)
    unique_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(null=True, blank=True)
    raw = models.TextField(blank=True, help_text="The frame's text when it was not valid JSON.")
    ocpp_version = models.CharField(max_length=8, choices=OcppVersion.choices, blank=True)
    error = models.CharField(max_length=300, blank=True, help_text="Why the frame was refused or flagged.")

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            # The charger page's message log and API: this charger, newest first (ties by id).
            models.Index(fields=["charger", "-received_at", "-id"], name="chargers_msg_charger_newest"),
            # Time-range scans (exports, retention).
            models.Index(fields=["received_at"], name="chargers_msg_received"),
            # Pairing a CALL with its answer and spotting retransmissions.
            models.Index(fields=["charger", "unique_id"], name="chargers_msg_unique_id"),
        ]

    def __str__(self):
        return f"{self.charger_id} {self.direction} {self.action or self.message_type} {self.unique_id}"


class StatusReport(models.Model):
    """A port's reported status (1.6 or 2.0.1 StatusNotification), with both clocks."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="status_reports")
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="status_reports")
    status = models.CharField(max_length=32)
    error_code = models.CharField(max_length=50, blank=True)
    vendor_id = models.CharField(max_length=255, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    info = models.CharField(max_length=500, blank=True)
    charger_timestamp = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    event_at = models.DateTimeField(help_text="The charger's time when plausible, else the receive time.")
    # The log is partitioned and its primary key is (id, received_at), so the database cannot enforce
    # this link; retention may also remove the frame while this row stays. The column stays indexed.
    message = models.ForeignKey(
        OcppMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )
    nonconforming = models.BooleanField(default=False, help_text="Payload broke the schema but was accepted.")

    class Meta:
        ordering = ["event_at", "id"]
        indexes = [
            # Episode building and history: one port's reports in event order.
            models.Index(fields=["connector", "event_at"], name="chargers_status_port_time"),
            models.Index(fields=["charger", "event_at"], name="chargers_status_charger_time"),
        ]

    def __str__(self):
        return f"{self.connector} {self.status} {self.error_code} @ {self.event_at:%Y-%m-%d %H:%M:%S}"


class DeviceEvent(models.Model):
    """One eventData entry of an OCPP 2.0.1 NotifyEvent (component, variable, techCode…)."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="device_events")
    connector = models.ForeignKey(
        Connector, on_delete=models.SET_NULL, null=True, blank=True, related_name="device_events"
    )
    event_id = models.BigIntegerField()
    event_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    charger_timestamp = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=16)
    cause = models.BigIntegerField(null=True, blank=True)
    actual_value = models.CharField(max_length=2500, blank=True)
    tech_code = models.CharField(max_length=50, blank=True)
    tech_info = models.CharField(max_length=500, blank=True)
    cleared = models.BooleanField(null=True)
    transaction_id = models.CharField(max_length=36, blank=True)
    variable_monitoring_id = models.IntegerField(null=True, blank=True)
    notification_type = models.CharField(max_length=32, blank=True)
    severity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0 Danger … 9 Debug, when known."
    )
    component_name = models.CharField(max_length=50)
    component_instance = models.CharField(max_length=50, blank=True)
    # component.evse as sent (the `connector` above is the port it resolves to, when it does).
    component_evse_id = models.PositiveIntegerField(null=True, blank=True)
    component_connector_id = models.PositiveIntegerField(null=True, blank=True)
    variable_name = models.CharField(max_length=50)
    variable_instance = models.CharField(max_length=50, blank=True)
    # The log is partitioned and its primary key is (id, received_at), so the database cannot enforce
    # this link; retention may also remove the frame while this row stays. The column stays indexed.
    message = models.ForeignKey(
        OcppMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )

    class Meta:
        ordering = ["event_at", "id"]
        indexes = [
            models.Index(fields=["charger", "event_at"], name="chargers_event_charger_time"),
            # Pairing a raise with its clear.
            models.Index(fields=["charger", "component_name", "variable_name"], name="chargers_event_cv"),
        ]

    def __str__(self):
        return f"{self.charger_id} {self.component_name}.{self.variable_name}={self.actual_value}"


class Transaction(models.Model):
    """A charging session as the charger reported it."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="transactions")
    connector = models.ForeignKey(
        Connector, on_delete=models.SET_NULL, null=True, related_name="transactions"
    )
    transaction_id = models.CharField(
        max_length=36, help_text="1.6: the id Faultline assigned; 2.0.1: the charger's."
    )
    id_tag = models.CharField(max_length=36, blank=True)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    meter_start_wh = models.FloatField(null=True, blank=True)
    meter_stop_wh = models.FloatField(null=True, blank=True)
    stop_reason = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["charger", "transaction_id"], name="chargers_transaction_unique_id"
            )
        ]
        indexes = [
            # Is this port charging at time t? (phantom filter, uptime evidence)
            models.Index(fields=["connector", "started_at"], name="chargers_tx_port_start"),
        ]

    def __str__(self):
        return f"{self.charger_id} tx {self.transaction_id}"


class MeterReading(models.Model):
    """One sampled value; the energy register is what proves that a port was delivering."""

    ENERGY_REGISTER = "Energy.Active.Import.Register"

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="meter_readings")
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="meter_readings")
    transaction = models.ForeignKey(
        Transaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="meter_readings"
    )
    sampled_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    measurand = models.CharField(max_length=64, default=ENERGY_REGISTER)
    phase = models.CharField(max_length=8, blank=True)
    location = models.CharField(max_length=16, blank=True)
    context = models.CharField(max_length=32, blank=True)
    value = models.FloatField(help_text="In the unit below; energy is normalised to Wh.")
    unit = models.CharField(max_length=16, blank=True)
    # The log is partitioned and its primary key is (id, received_at), so the database cannot enforce
    # this link; retention may also remove the frame while this row stays. The column stays indexed.
    message = models.ForeignKey(
        OcppMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )

    class Meta:
        ordering = ["sampled_at", "id"]
        indexes = [
            # Did the register rise on this port between t1 and t2?
            models.Index(fields=["connector", "measurand", "sampled_at"], name="chargers_meter_port_time"),
        ]

    def __str__(self):
        return f"{self.connector} {self.measurand}={self.value}{self.unit} @ {self.sampled_at}"


class ConnectivityChange(models.Model):
    """A charger going online or offline; offline periods count as downtime."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="connectivity_changes")
    at = models.DateTimeField()
    online = models.BooleanField()
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["charger", "at"], name="chargers_conn_charger_time")]

    def __str__(self):
        return f"{self.charger_id} {'online' if self.online else 'offline'} @ {self.at}"


class CommandStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the charger"
    ANSWERED = "answered", "Answered"
    REJECTED = "rejected", "Rejected by the charger"
    ERROR = "error", "CALLERROR from the charger"
    TIMEOUT = "timeout", "No answer in time"
    NOT_CONNECTED = "not_connected", "Charger not connected"


class Command(models.Model):
    """A remote command sent to a charger, who asked for it, and what came back."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="commands")
    action = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=CommandStatus.choices, default=CommandStatus.PENDING)
    response = models.JSONField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    unique_id = models.CharField(max_length=64, blank=True)
    context = models.CharField(
        max_length=100, blank=True, help_text="Where it was asked from, e.g. fault:42."
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["charger", "-requested_at"], name="chargers_cmd_charger_recent")]

    def __str__(self):
        return f"{self.action} → {self.charger_id} ({self.status})"
