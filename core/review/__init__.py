"""What a human should check and what checks buy: ranking strategies, the queue, verdicts, budget curves, the map."""
