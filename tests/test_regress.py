"""Sharded regressions on dask.distributed (LocalCluster): the same answer as one process,
image by image; a shard that raises is reported; a worker that dies has its shard re-run,
and nothing is counted twice."""

import pytest

from tb.jobs.cosim import CosimJob, run
from tb.jobs.regress import Shard, regress, shards_of, write_junit

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _common(tmp_path):
    return dict(network="cnvW2A2", plan=None, topology="split-2", params=None, cifar=None, seed=3,
                out_root=str(tmp_path / "shards"))


def test_sharded_regression_equals_one_process(tmp_path):
    shards = shards_of(4, 2, **_common(tmp_path))
    merged = regress(shards, workers=2, progress=False)
    one = run(CosimJob(images=4, seed=3, stall_seed=None, out_dir=str(tmp_path / "one")))
    assert merged["images"] == 4 and merged["workers"] == 2 and not merged["errors"]
    assert merged["mismatches"] == 0 and merged["lost"] == 0 and merged["duplicated"] == 0
    key = lambda im: (im["image"], im["match"], im["predicted"], im["label"])  # noqa: E731
    assert sorted(map(key, merged["per_image"])) == [key(vars(im)) for im in one.per_image]
    assert len(merged["shards"]) == 2 and all(s["images"] == 2 for s in merged["shards"])
    xml = write_junit(merged, tmp_path / "junit.xml").read_text()
    assert xml.count("<testcase") == 4 and 'failures="0"' in xml


def test_a_shard_that_raises_is_reported(tmp_path):
    shards = [Shard(index=0, first=0, images=2, **_common(tmp_path), raise_error=True)]
    merged = regress(shards, workers=1, retries=0, progress=False)
    assert merged["failed_shards"] == 1
    assert "images 0..1" in merged["errors"][0] and "raised on purpose" in merged["errors"][0]
    assert [im["match"] for im in merged["per_image"]] == [False, False]
    assert 'failures="2"' in write_junit(merged, tmp_path / "junit.xml").read_text()


def test_a_dead_worker_s_shard_is_rerun_once(tmp_path):
    flag = tmp_path / "died"
    shards = [Shard(index=0, first=0, images=2, **_common(tmp_path), die_once_flag=str(flag))]
    merged = regress(shards, workers=1, retries=2, progress=False)
    assert flag.exists(), "the first attempt killed its worker"
    assert not merged["errors"] and merged["images"] == 2
    assert sorted(im["image"] for im in merged["per_image"]) == [0, 1]   # each image once
    assert merged["mismatches"] == 0 and merged["duplicated"] == 0
