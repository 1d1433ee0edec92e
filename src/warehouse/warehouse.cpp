// Placeholder until the warehouse lands.
