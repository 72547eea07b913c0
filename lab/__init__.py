# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The printfleet.mve local lab (lab.py) and the real servers it shares with the tests (lab.servers)."""
