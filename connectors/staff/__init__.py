"""Staff console connector: login, policy search, elders, emergencies."""
