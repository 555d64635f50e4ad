#!/usr/bin/python3
"""Writes the tiny HDF5 fixtures of tests/unit/io/test_nwb.cpp and test_neurodl_h5.cpp.

Run with Debian's python (it has numpy and h5py):  /usr/bin/python3 tests/reference/make_nwb_fixtures.py

NWB files (tests/fixtures/nwb/*.nwb) follow the NWB 2.x schema's HDF5 conventions by hand (no
pynwb): neurodata_type / namespace attributes, nwb_version on the root, starting_time with a
`rate` attribute, data with `conversion` / `offset` / `unit`, DynamicTable columns with a
VectorIndex of end offsets, DynamicTableRegion with a `table` object reference, soft links.
neurodl_h5_*.h5 follow docs/format.md, written independently of the C++ writer, plus broken
variants for the reader's error paths.

The expected values printed at the end are computed here with numpy, independently of neurodl;
the tests copy them.
"""
import os
import uuid

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "nwb")
STR = h5py.string_dtype("utf-8")


def ntype(obj, neurodata_type, namespace="core", fixed=False):
    """Type attributes as pynwb writes them (variable length), or fixed length as MatNWB does."""
    if fixed:
        obj.attrs.create("neurodata_type", np.bytes_(neurodata_type))
        obj.attrs.create("namespace", np.bytes_(namespace))
    else:
        obj.attrs["neurodata_type"] = neurodata_type
        obj.attrs["namespace"] = namespace
    obj.attrs["object_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, os.path.basename(obj.file.filename) + obj.name))


def nwb_file(name, version, description):
    f = h5py.File(os.path.join(OUT, name), "w", libver="earliest")
    ntype(f, "NWBFile")
    f.attrs["nwb_version"] = version
    f.create_dataset("identifier", data="fixture-" + name, dtype=STR)
    f.create_dataset("session_description", data=description, dtype=STR)
    f.create_dataset("session_start_time", data="2020-01-01T10:00:00+00:00", dtype=STR)
    for g in ("acquisition", "analysis", "processing", "stimulus/presentation",
              "stimulus/templates", "general"):
        f.require_group(g)
    return f


def series(parent, name, neurodata_type, data, unit, rate=None, start=0.0, timestamps=None,
           conversion=None, offset=None, fixed=False):
    g = parent.create_group(name)
    ntype(g, neurodata_type, fixed=fixed)
    g.attrs["description"] = name + " description"
    d = g.create_dataset("data", data=data)
    d.attrs["unit"] = unit
    d.attrs["resolution"] = np.float32(-1.0)
    # The schema gives conversion and offset as float32.
    d.attrs["conversion"] = np.float32(1.0 if conversion is None else conversion)
    if offset is not None:
        d.attrs["offset"] = np.float32(offset)
    if rate is not None:
        st = g.create_dataset("starting_time", data=np.float64(start))
        st.attrs["rate"] = np.float32(rate)
        st.attrs["unit"] = "seconds"
    else:
        ts = g.create_dataset("timestamps", data=np.asarray(timestamps, dtype=np.float64))
        ts.attrs["interval"] = np.int32(1)
        ts.attrs["unit"] = "seconds"
    return g


def column(table, name, data, dtype=None, description=""):
    d = table.create_dataset(name, data=data, dtype=dtype)
    ntype(d, "VectorData", "hdmf-common")
    d.attrs["description"] = description or name
    return d


def scaled(raw, conversion, offset=0.0):
    """Stored value → float32, then times float32 conversion plus offset in double, to float32."""
    c = np.float64(np.float32(conversion))
    o = np.float64(np.float32(offset))
    return (raw.astype(np.float32).astype(np.float64) * c + o).astype(np.float32)


expected = {}

# ---- ophys.nwb: Fluorescence (rate) + DfOverF (timestamps), behaviour, trials -----------------
f = nwb_file("ophys.nwb", "2.5.0", "tiny ophys fixture")
f["general"].create_dataset("institution", data=np.bytes_("Test Institute"))  # fixed length
f["general"].create_dataset("lab", data="Imaging Lab", dtype=STR)
f["general"].create_dataset("experimenter", data=["Ada Lovelace", "Alan Turing"], dtype=STR)
ophys = f["processing"].create_group("ophys")
ntype(ophys, "ProcessingModule")
seg = ophys.create_group("ImageSegmentation")
ntype(seg, "ImageSegmentation")
plane = seg.create_group("PlaneSegmentation")
ntype(plane, "PlaneSegmentation")
plane.attrs["colnames"] = np.array([], dtype=object).astype(STR)
plane.attrs["description"] = "rois"
ids = plane.create_dataset("id", data=np.array([10, 20, 30, 40], dtype=np.int64))
ntype(ids, "ElementIdentifiers", "hdmf-common")

fluo = ophys.create_group("Fluorescence")
ntype(fluo, "Fluorescence")
raw_f = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [-2, 0, 100]], dtype=np.int16)
rrs = series(fluo, "RoiResponseSeries", "RoiResponseSeries", raw_f, "lumens", rate=30.0, start=2.0,
             conversion=0.5, offset=1.0, fixed=True)
rois = rrs.create_dataset("rois", data=np.array([1, 2, 3], dtype=np.int64))
ntype(rois, "DynamicTableRegion", "hdmf-common")
rois.attrs["table"] = plane.ref
rois.attrs["description"] = "rows of PlaneSegmentation"
expected["ophys_fluorescence"] = scaled(raw_f, 0.5, 1.0)

dff = ophys.create_group("DfOverF")
ntype(dff, "DfOverF")
raw_d = np.array([[0.1, 0.2, 0.3], [0.0, -0.5, 1.5], [2.25, 0.125, 0.0], [1e-3, 7.0, -1.0]],
                 dtype=np.float32)
series(dff, "RoiResponseSeries", "RoiResponseSeries", raw_d, "n.a.",
       timestamps=[0.0, 0.1, 0.2, 0.35])
expected["ophys_dff"] = raw_d

behavior = f["processing"].create_group("behavior")
ntype(behavior, "ProcessingModule")
bts = behavior.create_group("BehavioralTimeSeries")
ntype(bts, "BehavioralTimeSeries")
speed_raw = np.array([0, 150, 300, 275, 10, 5], dtype=np.float64)
series(bts, "running_speed", "TimeSeries", speed_raw, "cm/s", rate=10.0, start=0.0,
       conversion=0.01)
expected["running_speed"] = scaled(speed_raw, 0.01)
pos = behavior.create_group("Position")
ntype(pos, "Position")
pos_data = np.array([[0.0, 1.0], [0.5, 1.5], [1.0, 2.0]], dtype=np.float32)
series(pos, "position", "SpatialSeries", pos_data, "meters", timestamps=[0.05, 0.15, 0.3])
events = behavior.create_group("BehavioralEvents")
ntype(events, "BehavioralEvents")
series(events, "lick", "TimeSeries", np.ones(3), "n.a.", timestamps=[1.0, 1.0, 2.0])

trials = f.create_group("intervals/trials")
ntype(trials, "TimeIntervals")
trials.attrs["colnames"] = np.array(["start_time", "stop_time", "stimulus_id"], dtype=object).astype(STR)
trials.attrs["description"] = "trials"
tid = trials.create_dataset("id", data=np.arange(4, dtype=np.int64))
ntype(tid, "ElementIdentifiers", "hdmf-common")
column(trials, "start_time", np.array([0.0, 1.0, 2.0, 3.0]))
column(trials, "stop_time", np.array([0.5, 1.5, 2.5, 3.5]))
column(trials, "stimulus_id", np.array([2, 5, 2, 2], dtype=np.int64))
f.close()

# ---- units.nwb: Units table only (spike times binned), epochs with a text condition ----------
f = nwb_file("units.nwb", "2.2.5", "tiny units fixture")
ece = f["general"].create_group("extracellular_ephys")
shanks = []
for name, loc in (("shank0", "CA1"), ("shank1", "DG")):
    g = ece.create_group(name)
    ntype(g, "ElectrodeGroup")
    g.attrs["location"] = loc
    g.attrs["description"] = name
    shanks.append(g)
units = f.create_group("units")
ntype(units, "Units")
units.attrs["colnames"] = np.array(["spike_times", "electrode_group"], dtype=object).astype(STR)
units.attrs["description"] = "units"
uid = units.create_dataset("id", data=np.array([7, 8, 9], dtype=np.int64))
ntype(uid, "ElementIdentifiers", "hdmf-common")
spikes = np.array([0.10, 0.25, 0.31, 1.00, 0.05, 0.5], dtype=np.float64)
st = column(units, "spike_times", spikes)
idx = units.create_dataset("spike_times_index", data=np.array([3, 3, 6], dtype=np.uint8))
ntype(idx, "VectorIndex", "hdmf-common")
idx.attrs["target"] = st.ref
column(units, "electrode_group", [shanks[0].ref, shanks[1].ref, shanks[0].ref],
       dtype=h5py.ref_dtype)
epochs = f.create_group("intervals/epochs")
ntype(epochs, "TimeIntervals")
epochs.attrs["description"] = "epochs"
eid = epochs.create_dataset("id", data=np.arange(3, dtype=np.int64))
ntype(eid, "ElementIdentifiers", "hdmf-common")
column(epochs, "start_time", np.array([0.6, 0.0, 0.3]))
column(epochs, "stop_time", np.array([0.9, 0.3, 0.6]))
column(epochs, "condition", ["run", "rest", "rest"], dtype=STR)
f.close()
# Binning as bin_units_into_activity documents it: bins of 1/rate from the earliest spike.
first, last = spikes.min(), spikes.max()
n_bins = int(np.floor((last - first) * 100.0)) + 1
expected["units_n_bins_100hz"] = n_bins

# ---- icephys.nwb: two current-clamp sweeps, a stimulus for sweep 1, an electrode link --------
f = nwb_file("icephys.nwb", "2.2.5", "tiny icephys fixture")
ice = f["general"].create_group("intracellular_ephys")
elec = ice.create_group("elec0")
ntype(elec, "IntracellularElectrode")
elec.create_dataset("location", data="CA1 pyramidal layer", dtype=STR)
elec.create_dataset("description", data="patch pipette", dtype=STR)
for sweep in (1, 2):
    mv = np.array([-65, -64.5, -60, 10, 20, -70, -66, -65], dtype=np.float32) + sweep
    g = series(f["acquisition"], "CurrentClampSeries_%02d" % sweep, "CurrentClampSeries", mv,
               "volts", rate=20000.0, start=0.5, conversion=1e-3)
    g.attrs["sweep_number"] = np.uint64(sweep)
    g.attrs["stimulus_description"] = "step_protocol"
    g["electrode"] = h5py.SoftLink("/general/intracellular_ephys/elec0")
    g.create_dataset("gain", data=np.float64(1.0))
    expected["icephys_sweep%d" % sweep] = scaled(mv, 1e-3)
g = series(f["stimulus/presentation"], "CurrentClampStimulusSeries_01",
           "CurrentClampStimulusSeries", np.array([0, 0, 1e-10, 1e-10, 1e-10, 0, 0, 0]),
           "amperes", rate=20000.0, start=0.5)
g.attrs["sweep_number"] = np.uint64(1)
g["electrode"] = h5py.SoftLink("/general/intracellular_ephys/elec0")
f.close()

# ---- ecephys.nwb: raw ElectricalSeries (int16 + channel_conversion), LFP, generic 2-D ---------
f = nwb_file("ecephys.nwb", "2.4.0", "tiny ecephys fixture")
ece = f["general"].create_group("extracellular_ephys")
etab = ece.create_group("electrodes")
ntype(etab, "DynamicTable", "hdmf-common")
etab.attrs["colnames"] = np.array(["location"], dtype=object).astype(STR)
etab.attrs["description"] = "electrodes"
eid = etab.create_dataset("id", data=np.array([100, 101, 102], dtype=np.int64))
ntype(eid, "ElementIdentifiers", "hdmf-common")
column(etab, "location", ["CA1", "CA3", "DG"], dtype=STR)
raw_e = np.array([[100, -100], [200, -200], [0, 0], [32767, -32768], [1, 2], [3, 4]],
                 dtype=np.int16)
g = series(f["acquisition"], "ElectricalSeries", "ElectricalSeries", raw_e, "volts", rate=1000.0,
           start=0.0, conversion=1e-6)
reg = g.create_dataset("electrodes", data=np.array([0, 2], dtype=np.int64))
ntype(reg, "DynamicTableRegion", "hdmf-common")
reg.attrs["table"] = etab.ref
reg.attrs["description"] = "channels"
g.create_dataset("channel_conversion", data=np.array([1.0, 2.0], dtype=np.float32))
cc = np.array([1.0, 2.0])
c = np.float64(np.float32(1e-6))
expected["ecephys_raw"] = (raw_e.astype(np.float32).astype(np.float64) * (c * cc)).astype(np.float32)
ecm = f["processing"].create_group("ecephys")
ntype(ecm, "ProcessingModule")
lfp = ecm.create_group("LFP")
ntype(lfp, "LFP")
lfp_data = np.array([[1e-4, 2e-4], [3e-4, 4e-4], [5e-4, 6e-4], [7e-4, 8e-4]], dtype=np.float32)
series(lfp, "ElectricalSeries", "ElectricalSeries", lfp_data, "volts", rate=250.0, start=0.0)
series(f["acquisition"], "probe_sync", "TimeSeries", np.array([[1.0, 2.0], [3.0, 4.0],
       [5.0, 6.0]], dtype=np.float32), "volts", timestamps=[10.0, 10.5, 11.0])
f.close()


# ---- neurodl_h5_*.h5: the own layout of docs/format.md, written here with h5py ---------------
def own_file(name, version=1, mutate=None):
    f = h5py.File(os.path.join(OUT, name), "w")
    f.attrs["neurodl_format"] = "neurodl-recording"
    f.attrs["format_version"] = np.int64(version)
    r = f.create_group("recordings/0000")
    r.attrs["name"] = "by_h5py"
    r.attrs["kind"] = "spike_counts"
    r.attrs["sample_rate_hz"] = 50.0
    r.attrs["start_time_s"] = -1.0
    r.create_dataset("activity", data=np.arange(6, dtype=np.float32).reshape(3, 2))
    r.create_dataset("timestamps_s", data=np.zeros(0))
    u = r.create_group("units")
    u.create_dataset("id", data=["a", "b"], dtype=STR)
    u.create_dataset("area", data=["V1", ""], dtype=STR)
    u.create_dataset("position_um", data=np.array([[1.0, 2.0, 3.0], [np.nan] * 3]))
    u.create_dataset("spike_times_s", data=np.array([0.01, 0.02, 0.03]))
    u.create_dataset("spike_times_index", data=np.array([0, 3], dtype=np.int64))
    b = r.create_group("behavior/0000")
    b.attrs["name"] = "speed"
    b.attrs["unit"] = "cm/s"
    b.create_dataset("timestamps_s", data=np.array([0.0, 1.0]))
    b.create_dataset("values", data=np.array([[1.5], [2.5]], dtype=np.float32))
    s = r.create_group("stimuli")
    s.create_dataset("onset_s", data=np.array([0.0]))
    s.create_dataset("offset_s", data=np.array([0.5]))
    s.create_dataset("stimulus_id", data=np.array([0], dtype=np.int64))
    s.create_dataset("repeat", data=np.array([0], dtype=np.int64))
    s.create_dataset("images", data=np.ones((1, 4), dtype=np.float32))
    s.attrs["image_height"] = np.int64(2)
    s.attrs["image_width"] = np.int64(2)
    t = r.create_group("truth")
    t.create_dataset("0000", data=np.zeros((0, 2), dtype=np.float32)).attrs["name"] = "empty"
    m = r.create_group("metadata")
    m.create_dataset("keys", data=["source"], dtype=STR)
    m.create_dataset("values", data=["h5py"], dtype=STR)
    if mutate:
        mutate(r)
    f.close()


own_file("neurodl_h5_by_h5py.h5")
own_file("neurodl_h5_future_version.h5", version=2)
own_file("neurodl_h5_missing_activity.h5", mutate=lambda r: r.__delitem__("activity"))


def text_activity(r):
    del r["activity"]
    r.create_dataset("activity", data=["x"], dtype=STR)


own_file("neurodl_h5_text_activity.h5", mutate=text_activity)


def bad_positions(r):
    del r["units/position_um"]
    r["units"].create_dataset("position_um", data=np.zeros((2, 2)))


own_file("neurodl_h5_bad_positions.h5", mutate=bad_positions)


def bad_index(r):
    del r["units/spike_times_index"]
    r["units"].create_dataset("spike_times_index", data=np.array([2, 9], dtype=np.int64))


own_file("neurodl_h5_bad_spike_index.h5", mutate=bad_index)

np.set_printoptions(precision=9, floatmode="maxprec")
for k, v in expected.items():
    if isinstance(v, np.ndarray):
        print(k, "=", ", ".join("%.9g" % x for x in v.ravel()))
    else:
        print(k, "=", v)
