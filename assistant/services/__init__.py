"""Domain services: elders, meals, emergencies, alerts, hand-off, outbox."""
