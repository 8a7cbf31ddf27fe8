"""The AlphaTensor method: a TensorGame agent (torch) that discovers schemes
by playing. Needs the [rl] extra (torch, safetensors)."""
