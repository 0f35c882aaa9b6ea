"""FUSION's names for the networks it ships and the files under its `data/raw/` it reads
them from (`fusion/io/structure.py` in 6.1, `data_scripts/structure_data.py` in the 5.5
line: the same table): a template's `network` must be one of these names."""

from __future__ import annotations

NETWORK_FILES = {
    "USNet": "us_network.txt", "NSFNet": "nsf_network.txt",
    "Pan-European": "europe_network.txt", "USbackbone60": "USB6014.txt",
    "Spainbackbone30": "SPNB3014.txt", "geant": "geant.txt", "toy_network": "toy_network.txt",
    "metro_net": "metro_net.txt", "dt_network": "dt_network.txt",
}
