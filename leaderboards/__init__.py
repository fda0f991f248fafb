"""Results store, statistics and renderers of leaderboards (they read results; they never train)."""
