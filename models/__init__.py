"""SimPy models of shop-floor equipment (the physics). Depends on simpy and numpy only."""
