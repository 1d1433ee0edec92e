// Placeholder until the signer lands.
