"""What a failed job's log says: the errors `check --log FILE` recognises in it.

Pure functions from text to `Symptom`s (chipdoctor/model.py): `reading` bounds and cleans the
log, `signatures` is the one table of messages (each beside the code or document that prints
it), `recognise` finds them, `judge` says which symptoms no finding explains. The rules read
the symptoms from `Inventory.symptoms` as one more input beside the machine's facts.

NOTE: this package imports nothing on its own: the rules import `kinds` alone, and the rest is
imported only when --log is given.
"""
