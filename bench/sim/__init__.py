"""Simulators shared by the tests and ``make bench``: the local Twilio API server
(``twilio_api``), a simulated caller on a media stream (``caller``), a running
hotline with a stand-in Rasa (``hotline``) and a running Rasa + app (``stack``).
They import product code only; nothing in the product imports them."""
