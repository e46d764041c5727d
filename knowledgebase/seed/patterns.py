"""Free-text patterns for faults that vendors spell in words rather than codes.

Each pattern names the standard entry whose meaning applies. Phrases are matched on normalised text
(lower case, no accents, separators optional), so "Not-Aus", "NOTAUS" and "not aus" are one pattern.
"""

ESTOP = ("ocpp", "StopReason/EmergencyStop")
POWER_LOSS = ("ocpp", "StopReason/PowerLoss")
GROUND = ("ocpp", "GroundFailure")
ISOLATION = ("chargex", "CX022")
HEAT = ("ocpp", "HighTemperature")

# (name, pattern, entry (scope, code), priority)
PATTERNS = [
    # Emergency stops, in the words vendors use. Bare "stop" or "emergency" never match on their own.
    ("Emergency stop (English)", "emergency stop*", ESTOP, 10),
    ("Emergency button (English)", "emergency button*", ESTOP, 10),
    ("Emergency push button (English)", "emergency push button*", ESTOP, 10),
    ("Emergency switch (English)", "emergency switch*", ESTOP, 10),
    ("Emergency shutdown (English)", "emergency shut* down", ESTOP, 10),
    ("Emergency shutdown, one word (English)", "emergency shutdown*", ESTOP, 10),
    ("Emergency off (English)", "emergency off", ESTOP, 10),
    ("E-stop (English)", "e stop*", ESTOP, 10),
    ("Estop (English)", "estop*", ESTOP, 10),
    ("Emergency power off (English)", "epo button", ESTOP, 10),
    ("Not-Aus (German)", "not aus", ESTOP, 10),
    ("Not-Aus-Schalter (German)", "not aus schalter", ESTOP, 10),
    ("Not-Aus-Taster (German)", "not aus taster", ESTOP, 10),
    ("Not-Halt (German)", "not halt", ESTOP, 10),
    ("Notabschaltung (German)", "not abschaltung", ESTOP, 10),
    ("Arrêt d'urgence (French)", "arret d urgence", ESTOP, 10),
    ("Arrêt urgence (French)", "arret urgence", ESTOP, 10),
    ("Bouton d'urgence (French)", "bouton d urgence", ESTOP, 10),
    ("Noodstop (Dutch)", "nood stop*", ESTOP, 10),
    ("Noodknop (Dutch)", "nood knop*", ESTOP, 10),
    ("Parada de emergencia (Spanish, Portuguese)", "parada de emergencia", ESTOP, 10),
    ("Paro de emergencia (Spanish)", "paro de emergencia", ESTOP, 10),
    ("Seta de emergencia (Spanish)", "seta de emergencia", ESTOP, 10),
    ("Pulsador de emergencia (Spanish)", "pulsador de emergencia", ESTOP, 10),
    ("Botón de emergencia (Spanish, Portuguese)", "boton de emergencia", ESTOP, 10),
    ("Paragem de emergência (Portuguese)", "paragem de emergencia", ESTOP, 10),
    ("Arresto di emergenza (Italian)", "arresto di emergenza", ESTOP, 10),
    ("Pulsante di emergenza (Italian)", "pulsante di emergenza", ESTOP, 10),
    ("Fungo di emergenza (Italian)", "fungo di emergenza", ESTOP, 10),
    ("Nödstopp / Nødstop (Swedish, Norwegian, Danish)", "nod stop*", ESTOP, 10),
    ("Hätäseis (Finnish)", "hata seis", ESTOP, 10),
    ("Wyłącznik awaryjny (Polish)", "wylacznik awaryjny", ESTOP, 10),
    ("Stop awaryjny (Polish)", "stop awaryjny", ESTOP, 10),
    ("Nouzové zastavení (Czech)", "nouzove zastaveni", ESTOP, 10),
    # A charger's last words before its power goes.
    ("Dying gasp", "dying gasp", POWER_LOSS, 20),
    ("Mains failure", "mains fail*", POWER_LOSS, 20),
    ("Mains lost", "mains lost", POWER_LOSS, 20),
    ("Stromausfall (German)", "stromausfall", POWER_LOSS, 20),
    ("Netzausfall (German)", "netzausfall", POWER_LOSS, 20),
    # Safety faults described in words.
    ("Ground fault", "ground fault*", GROUND, 30),
    ("Earth fault", "earth fault*", GROUND, 30),
    ("Earth leakage", "earth leakage", GROUND, 30),
    ("Residual current device tripped", "rcd trip*", GROUND, 30),
    ("Fehlerstrom (German)", "fehlerstrom*", GROUND, 30),
    ("Insulation fault", "insulation fault*", ISOLATION, 30),
    ("Isolation fault", "isolation fault*", ISOLATION, 30),
    ("Isolationsfehler (German)", "isolationsfehler", ISOLATION, 30),
    ("Over-temperature", "over temp*", HEAT, 40),
    ("Overheat", "overheat*", HEAT, 40),
]
