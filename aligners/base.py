"""``base``: no training; the unaligned model is a leaderboard row of its own."""

from aligners.api import Aligner, register_aligner


@register_aligner("base")
class Base(Aligner):
    """The base model as it is."""

    description = "no training: the unaligned base model"

    def stages(self):
        return []
