"""The persona's voice: samples checked and kept, and a cloned voice registered from them."""
