"""A phone's HEIC looked at (faces, codes, preview, takedown check) is decoded by FFmpeg:
the same picture as pillow-heif's, the same way up.

The files are grids of HEVC tiles (as phones write them) built by tests/heif_builder.py
around tiles coded by pillow-heif, turned by irot/imir, with tiles cut by the grid's
size. Each is compared with pillow-heif's full decode (libheif), which is what the list
stores and what a redacted copy is made from.
"""

from __future__ import annotations

import math
import struct

import heif_builder as hb
import numpy as np
import pytest
from bmff_fixtures import box, full
from PIL import Image

from share_guard.core.errors import CorruptFile
from share_guard.core.hashing import heif_luma
from share_guard.core.hashing.decode import load_fitted
from share_guard.core.hashing.image import hash_array
from share_guard.core.media import heic_tiles
from share_guard.core.media.images import open_image
from share_guard.core.media.pixels import Picture, displayed, load_rgb, to_rgb_array

skdata = pytest.importorskip("skimage.data")
TILE = 256


def _ispe(w: int, h: int) -> bytes:
    return full(b"ispe", 0, 0, struct.pack(">II", w, h))


def grid_heic(img: Image.Image, turns: tuple[bytes, ...] = (), tile: int = TILE,
              odd_tile: bool = False, primary_extra: tuple[bytes, ...] = ()) -> bytes:
    """``img`` as a grid of ``tile``-sized HEVC tiles; ``turns`` are irot/imir boxes, in
    the order they are associated; ``odd_tile`` codes the last tile smaller than the rest."""
    return grid(img, turns, tile, odd_tile, primary_extra).encode()


def grid(img: Image.Image, turns: tuple[bytes, ...] = (), tile: int = TILE,
         odd_tile: bool = False, primary_extra: tuple[bytes, ...] = ()) -> hb.Heif:
    """What :func:`grid_heic` writes, to be changed first."""
    w, h = img.size
    cols, rows = math.ceil(w / tile), math.ceil(h / tile)
    coded = []
    for r in range(rows):
        for c in range(cols):
            part = Image.new("RGB", (tile, tile))
            part.paste(img.crop((c * tile, r * tile, min(w, (c + 1) * tile),
                                 min(h, (r + 1) * tile))))
            if odd_tile and (r, c) == (rows - 1, cols - 1):
                part = part.resize((tile // 2, tile // 2))
            coded.append(hb.coded_picture(image=part, quality=90))
    props = [coded[0].hvcc, coded[0].ispe, _ispe(w, h), *turns, *primary_extra]
    if odd_tile:  # its own parameter sets (another size) and size
        props += [coded[-1].hvcc, coded[-1].ispe]
    grid = bytes([0, 0, rows - 1, cols - 1]) + struct.pack(">HH", w, h)
    extra = [(4 + i, True) for i in range(len(turns) + len(primary_extra))]
    items = [hb.Item(1, b"grid", grid, props=[(3, False), *extra], in_idat=True)]
    for i, tile_coded in enumerate(coded):
        own = [(1, True), (2, False)]
        if odd_tile and i == len(coded) - 1:
            own = [(len(props) - 1, True), (len(props), False)]
        else:
            assert tile_coded.hvcc == coded[0].hvcc  # one encoder, one set of parameter sets
        items.append(hb.Item(2 + i, b"hvc1", tile_coded.data, props=own))
    refs = [(b"dimg", 1, [2 + i for i in range(len(coded))])]
    return hb.Heif(items, props, refs=refs)


def irot(quarter_turns: int) -> bytes:
    return box(b"irot", bytes([quarter_turns]))


def imir(axis: int) -> bytes:
    return box(b"imir", bytes([axis]))


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.fromarray(skdata.astronaut()).resize((700, 500))


def _distance(a: np.ndarray, b: np.ndarray) -> int:
    ha, hb_ = hash_array(a, queries=False).pdq, hash_array(b, queries=False).pdq
    assert ha is not None and hb_ is not None
    return ha - hb_


@pytest.mark.parametrize("turns", [(), (irot(1),), (irot(2),), (irot(3),), (imir(0),),
                                   (imir(1),), (irot(1), imir(0)), (irot(3), imir(1))])
def test_grid_tiles_turned_hash_as_the_full_decode(tmp_path, astronaut, turns):
    path = tmp_path / "grid.heic"
    path.write_bytes(grid_heic(astronaut, turns))
    full_decode = load_fitted(path, 512, draft=False)  # pillow-heif: libheif, RGB
    luma = heif_luma.fitted_luma(path, 512)
    assert luma is not None and luma.shape == full_decode.shape
    assert np.array_equal(luma[..., 0], luma[..., 2])  # grey: the luma plane alone
    # the same picture the same way up (a wrong turn, flip or tile is ~128 bits away)
    assert _distance(luma, full_decode) <= 8
    assert np.array_equal(load_fitted(path, 512), luma)  # a check takes this path


def test_a_single_picture_with_exif_orientation_hashes_as_the_full_decode(tmp_path, astronaut):
    import pillow_heif
    from bmff_fixtures import exif_bytes

    for orientation in (1, 6, 7):  # pillow-heif writes it as irot/imir
        path = tmp_path / f"{orientation}.heic"
        pillow_heif.from_pillow(astronaut).save(path, exif=exif_bytes(orientation), quality=90)
        full_decode = load_fitted(path, 512, draft=False)
        luma = heif_luma.fitted_luma(path, 512)
        assert luma is not None and luma.shape == full_decode.shape, orientation
        assert _distance(luma, full_decode) <= 8, orientation


def _crop_box() -> bytes:
    return box(b"clap", struct.pack(">8I", 600, 1, 400, 1, 0, 1, 0, 1))


@pytest.mark.parametrize("case", ["crop", "mirror-then-turn", "turned-twice", "odd-tile",
                                  "truncated", "avif", "grid-larger-than-said"])
def test_anything_but_the_plain_case_goes_to_pillow_heif(tmp_path, astronaut, case):
    path = tmp_path / ("x.avif" if case == "avif" else "x.heic")
    if case == "crop":
        data = grid_heic(astronaut, primary_extra=(_crop_box(),))
    elif case == "mirror-then-turn":  # irot's table is for irot first
        data = grid_heic(astronaut, (imir(0), irot(1)))
    elif case == "turned-twice":  # libheif applies both
        data = grid_heic(astronaut, (irot(1), irot(1)))
    elif case == "odd-tile":
        data = grid_heic(astronaut, odd_tile=True)
    elif case == "truncated":
        data = grid_heic(astronaut)[:-3000]
    elif case == "grid-larger-than-said":  # the grid's own numbers disagree with its 'ispe'
        data = grid_heic(astronaut).replace(bytes([0, 0, 1, 2]) + struct.pack(">HH", 700, 500),
                                            bytes([0, 0, 1, 2]) + struct.pack(">HH", 768, 512), 1)
        assert struct.pack(">HH", 768, 512) in data
    else:
        astronaut.save(path, format="AVIF", quality=90)
        data = path.read_bytes()
    path.write_bytes(data)
    assert heif_luma.fitted_luma(path, 512) is None
    if case in ("crop", "mirror-then-turn"):  # still checked, by the full decode
        checked = load_fitted(path, 512)
        assert not np.array_equal(checked[..., 0], checked[..., 2])  # colour: pillow-heif's
    if case in ("odd-tile", "turned-twice"):  # which libheif refuses, as before
        with pytest.raises(CorruptFile):
            load_fitted(path, 512)


def test_a_listed_heic_is_found_by_the_check(tmp_path, astronaut):
    """The list stores pillow-heif's full decode; the check hashes FFmpeg's luma."""
    from share_guard.core.hashing.image import hash_image

    path = tmp_path / "listed.heic"
    path.write_bytes(grid_heic(astronaut, (irot(1),)))
    stored = hash_image(path, queries=False, draft=False).pdq
    query = hash_image(path)
    assert stored is not None
    assert min(h - stored for _, h in query.queries) <= 8


def libheif_rgb(path) -> np.ndarray:
    """pillow-heif's decode, as the core decoded every HEIC before."""
    with open_image(path) as img:
        return to_rgb_array(displayed(img))


@pytest.mark.parametrize("turns", [(), (irot(1),), (irot(3), imir(0)), (irot(2), imir(1))])
def test_the_rgb_picture_is_libheifs_within_a_level_or_two(tmp_path, astronaut, turns):
    path = tmp_path / "grid.heic"
    path.write_bytes(grid_heic(astronaut, turns))
    reference = libheif_rgb(path)
    rgb = load_rgb(path)  # what the face search looks at
    assert rgb.shape == reference.shape
    diff = np.abs(rgb.astype(int) - reference)
    assert diff.mean() < 2 and np.percentile(diff, 99) <= 6  # a turned or shifted tile: ~50
    fast = heic_tiles.rgb_image(path)
    assert fast is not None and np.array_equal(np.asarray(fast), rgb)  # taken that way
    grey = Picture(path).gray()  # what the code search reads: the luma plane
    reference_grey = np.asarray(Image.fromarray(reference).convert("L"), dtype=int)
    assert grey.shape == reference_grey.shape
    assert np.abs(grey.astype(int) - reference_grey).mean() < 2


def test_a_heic_with_alpha_is_composited_by_pillow_heif(tmp_path, astronaut):
    import pillow_heif

    rgba = astronaut.convert("RGBA")
    rgba.putalpha(Image.new("L", rgba.size, 0))  # all transparent: shown as white
    path = tmp_path / "alpha.heic"
    pillow_heif.from_pillow(rgba).save(path, quality=90)
    assert heic_tiles.rgb_image(path) is None and heic_tiles.luma_image(path) is None
    assert load_rgb(path).min() >= 250  # composited over white, as before


def test_a_colour_box_saying_limited_range_is_followed(tmp_path, astronaut):
    """The stream says full range; an 'nclx' box on the picture says limited: libheif
    follows the box, and so do the luma (stretched) and the RGB (left to pillow-heif)."""
    nclx = box(b"colr", b"nclx" + struct.pack(">HHHB", 1, 13, 6, 0))
    path = tmp_path / "limited.heic"
    path.write_bytes(grid_heic(astronaut, primary_extra=(nclx,)))
    reference = libheif_rgb(path)
    assert heic_tiles.rgb_image(path) is None
    luma = heic_tiles.luma_image(path)
    assert luma is not None
    reference_grey = np.asarray(Image.fromarray(reference).convert("L"), dtype=int)
    assert np.abs(np.asarray(luma, dtype=int) - reference_grey).mean() < 3
    plain = tmp_path / "plain.heic"  # the same tiles read as full range: visibly different
    plain.write_bytes(grid_heic(astronaut))
    assert np.abs(np.asarray(heic_tiles.luma_image(plain), dtype=int) - reference_grey).mean() > 4


@pytest.mark.parametrize("turns", [(), (irot(1),), (irot(3), imir(1))])
def test_the_preview_is_scaled_in_one_step_and_shows_the_same_picture(tmp_path, astronaut, turns):
    from share_guard.core.media.preview import decode_preview

    path = tmp_path / "grid.heic"
    path.write_bytes(grid_heic(astronaut, turns))
    small = heic_tiles.preview_image(path, 300)
    assert small is not None  # taken that way (8-bit 4:2:0, even sizes)
    preview = decode_preview(path, "image", 300)
    assert (preview.width, preview.height) == small.size and max(small.size) == 300
    turned = bool(turns) and turns[0] in (irot(1), irot(3))
    assert preview.full_size == ((500, 700) if turned else (700, 500))
    reference = Image.fromarray(libheif_rgb(path))
    reference.thumbnail((300, 300), Image.Resampling.LANCZOS)
    assert reference.size == small.size
    shown = np.frombuffer(preview.rgb, np.uint8).reshape(small.height, small.width, 3)
    assert np.abs(shown.astype(int) - np.asarray(reference)).mean() < 3


def test_a_preview_of_an_odd_sized_heic_is_still_made(tmp_path, astronaut):
    from share_guard.core.media.preview import decode_preview

    path = tmp_path / "odd.heic"
    path.write_bytes(grid_heic(astronaut.crop((0, 0, 699, 499))))
    assert heic_tiles.preview_image(path, 300) is None
    preview = decode_preview(path, "image", 300)
    assert preview.full_size == (699, 499) and max(preview.width, preview.height) == 300


def _units(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        out.append(data[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return out


def _hvcc_units(hvcc: bytes) -> list[bytes]:
    """The parameter sets of an 'hvcC' box (VPS, SPS, PPS...)."""
    body, out = hvcc[8:], []
    pos = 23
    for _ in range(body[22]):
        count = int.from_bytes(body[pos + 1 : pos + 3], "big")
        pos += 3
        for _ in range(count):
            size = int.from_bytes(body[pos : pos + 2], "big")
            out.append(body[pos + 2 : pos + 2 + size])
            pos += 2 + size
    return out


def _all_none(path) -> bool:
    return (heic_tiles.rgb_image(path) is None and heic_tiles.luma_image(path) is None
            and heic_tiles.preview_image(path, 300) is None
            and heif_luma.fitted_luma(path, 512) is None)


def test_a_tile_carrying_parameter_sets_goes_to_pillow_heif(tmp_path, astronaut):
    """One FFmpeg decoder reads the tiles in turn: parameter sets in a tile's data stayed for
    the tiles after it, which libheif decodes with the 'hvcC' ones (a red-team file changed
    every later tile that way). Only random-access picture units are taken from a tile."""
    heif = grid(astronaut)
    tile = heif.items[1]
    units = _units(tile.data)
    assert {(u[0] >> 1) & 0x3F for u in units} <= set(range(16, 22))
    pps = next(u for u in _hvcc_units(heif.props[0]) if (u[0] >> 1) & 0x3F == 34)
    tile.data += len(pps).to_bytes(4, "big") + pps  # the same PPS again: harmless here
    path = tmp_path / "ps.heic"
    path.write_bytes(heif.encode())
    assert _all_none(path)
    assert load_fitted(path, 512).shape == (366, 512, 3)  # checked, by pillow-heif


def test_tiles_far_larger_than_the_picture_go_to_pillow_heif(tmp_path, astronaut):
    """A 16-pixel-wide column of 256 big tiles: 16.8 M pixels decoded for a 1 M pixel
    picture (with 8192-pixel tiles, 17 gigapixels from a 16 KB file)."""
    coded = hb.coded_picture(image=astronaut.crop((0, 0, TILE, TILE)), quality=50)
    rows, width, height = 256, 16, 256 * TILE
    desc = bytes([0, 1, rows - 1, 0]) + struct.pack(">II", width, height)
    items = [hb.Item(1, b"grid", desc, props=[(3, False)], in_idat=True),
             hb.Item(2, b"hvc1", coded.data, props=[(1, True), (2, False)])]
    heif = hb.Heif(items, [coded.hvcc, coded.ispe, _ispe(width, height)],
                   refs=[(b"dimg", 1, [2] * rows)])
    path = tmp_path / "tall.heic"
    path.write_bytes(heif.encode())
    assert _all_none(path)


def test_a_matrix_whose_first_plane_is_not_luma_goes_to_pillow_heif(tmp_path, astronaut):
    gbr = box(b"colr", b"nclx" + struct.pack(">HHHB", 1, 13, 0, 0x80))  # matrix 0: G, B, R
    path = tmp_path / "gbr.heic"
    path.write_bytes(grid_heic(astronaut, primary_extra=(gbr,)))
    assert _all_none(path)


def test_an_nclx_after_an_icc_profile_is_the_one_followed(tmp_path, astronaut):
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    prof = box(b"colr", b"prof" + icc)
    limited = box(b"colr", b"nclx" + struct.pack(">HHHB", 1, 13, 6, 0))
    path = tmp_path / "both.heic"
    path.write_bytes(grid_heic(astronaut, primary_extra=(prof, limited)))
    reference = np.asarray(Image.fromarray(libheif_rgb(path)).convert("L"), dtype=int)
    luma = heic_tiles.luma_image(path)
    assert luma is not None
    assert np.abs(np.asarray(luma, dtype=int) - reference).mean() < 3  # limited, as libheif


@pytest.mark.parametrize("case", ["second-ipma-entry", "dimg-in-two-boxes", "primary-is-thumbnail"])
def test_what_readers_take_differently_goes_to_pillow_heif(tmp_path, astronaut, case):
    """libheif reads an item's first 'ipma' entry and first reference box of a kind, and a
    picture with a 'thmb' reference is a thumbnail to it: the fast path took them all."""
    heif = grid(astronaut)
    if case == "second-ipma-entry":  # the turn is in a second entry for the picture
        heif.props.append(irot(1))
        ipma = full(b"ipma", 0, 0, struct.pack(">IHB", 1, 1, 1) + bytes([len(heif.props)]))
        heif.iprp_extra.append(ipma)
    elif case == "dimg-in-two-boxes":
        ids = heif.refs[0][2]
        heif.refs = [(b"dimg", 1, ids[:3]), (b"dimg", 1, ids[3:])]
    else:
        heif.refs.append((b"thmb", 1, [2]))
    path = tmp_path / f"{case}.heic"
    path.write_bytes(heif.encode())
    assert _all_none(path)
