"""Session recordings: the policy, the sealed files, playback and export."""
