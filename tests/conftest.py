import numpy as np
import pytest

from colorlib import data


@pytest.fixture(scope="session")
def motorcycle():
    """scikit-image's stereo pair, shrunk: content (gray), truth (left in colour), style (right)."""
    from colorlib import images

    pair = data.motorcycle_pair()
    return {k: images.resize(v, 64) if isinstance(v, np.ndarray) else v for k, v in pair.items()}


@pytest.fixture(scope="session")
def motorcycle_files(tmp_path_factory, motorcycle):
    """The motorcycle pair written to PNG files: gray content, colour style, colour truth."""
    from colorlib import images

    folder = tmp_path_factory.mktemp("moto")
    paths = {}
    for key in ("content", "style", "truth"):
        paths[key] = str(folder / f"{key}.png")
        images.save(data.motorcycle_pair()[key], paths[key])
    return paths
