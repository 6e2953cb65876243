"""长者服务助手: settings, database, domain services, app factory and launcher."""
