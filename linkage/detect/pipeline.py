"""`detect`: the whole run, from the store's evidence to saved, scored, identified rings."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from linkage.detect.ablation import Ablation
from linkage.detect.agreement import AgreementParams, ring_timing
from linkage.detect.bystanders import acting_with_ring, drop_bystanders
from linkage.detect.communities import communities, detach_bridged_groups, merge_fragments, peel
from linkage.detect.consolidate import consolidate
from linkage.detect.decisions import review_dismissed, store_allowlist
from linkage.detect.grouping import ArtifactRuns, artifact_runs
from linkage.detect.inputs import KINDS, account_created, load_links, read_allowlist
from linkage.detect.ring_identity import match_rings
from linkage.detect.scoring import TARGETED, score_communities
from linkage.detect.similarity import similarity
from linkage.detect.specificity import specificity
from linkage.detect.synchrony import SyncPairs, SyncParams, synchrony_in_store
from linkage.detect.temporal import activity, lockstep
from linkage.settings import Settings
from linkage.store.base import GraphStore
from linkage.store.models import DetectionResult, DetectionRun, Ring, RingArtifact, RingChange, RingMember

STEPS = ("load", "specificity", "lockstep", "synchrony", "activity", "similarity", "communities", "scoring",
         "save")
TOP_ARTIFACTS = 25
Progress = Callable[[str], None]


def _capability_mask(store: GraphStore, links) -> np.ndarray:
    """Per artifact: is it a prompt template aimed at reasoning, coding or tool use?"""
    fp = store.read_table("prompt_fingerprint", ["fingerprint", "capability"])
    targeted = fp.filter(pc.is_in(fp["capability"], value_set=pa.array(TARGETED)))["fingerprint"]
    prompts = np.flatnonzero(links.artifact_kind == KINDS.index("prompt"))  # only these can be (fewer strings)
    hit = pc.fill_null(pc.is_in(links.value_array().take(pa.array(prompts)),
                                value_set=targeted.combine_chunks()), False)
    out = np.zeros(links.n_artifacts, bool)
    out[prompts] = hit.to_numpy(zero_copy_only=False)
    return out


def _params(settings: Settings) -> dict[str, object]:
    keys = ("top_k", "small_artifact", "neighbours", "hub_accounts", "hub_fraction", "hub_drop_fraction",
            "min_kinds", "min_edge_weight", "min_corroboration", "lockstep_min_windows", "lockstep_kinds", "lockstep_max_group", "resolution", "merge_ratio",
            "min_ring_size", "min_tie", "detach_bridged", "drop_bystanders", "burst_minutes", "ring_threshold", "ring_min_coordination", "seed", "model_release", "allowlist",
            "sync_window_seconds", "sync_min_ticks", "sync_account_z", "sync_max_group", "sync_min_shared",
            "sync_min_log10p", "sync_saturation_log10p", "sync_periodic_share", "sync_link_alone", "ablate", "young_days", "youth_saturation_log10p",
            "release_window_hours", "release_prior_requests",
            "consolidate", "consolidate_min_shared", "consolidate_min_overlap", "consolidate_outside_accounts",
            "consolidate_outside_share", "consolidate_min_agreements", "consolidate_min_families", "consolidate_weak_share", "consolidate_job_share",
            "consolidate_creation_days",
            "consolidate_switch_jump", "consolidate_switch_support", "consolidate_sync_pairs")
    return {k: (str(getattr(settings, k)) if k == "allowlist" and getattr(settings, k) else getattr(settings, k))
            for k in keys}


def _sync_params(settings: Settings) -> SyncParams:
    return SyncParams(window=settings.sync_window_seconds, min_ticks=settings.sync_min_ticks,
                      account_z=settings.sync_account_z, max_group=settings.sync_max_group,
                      min_shared=settings.sync_min_shared, min_log10p=settings.sync_min_log10p,
                      saturation_log10p=settings.sync_saturation_log10p,
                      periodic_share=settings.sync_periodic_share)


def detect(store: GraphStore, settings: Settings, progress: Progress | None = None) -> DetectionResult:
    """Find, score and identify rings; save the run with `store.save_detection` and return it."""
    step = progress or (lambda name: None)
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def mark(name: str, since: float) -> float:
        timings[name] = round(time.perf_counter() - since, 3)
        step(name)
        return time.perf_counter()

    ablation = Ablation.parse(settings.ablate)
    t = time.perf_counter()
    # the allowlist file and the artifacts analysts allowlisted through the API
    links = ablation.links(load_links(store, read_allowlist(settings.allowlist) | store_allowlist(store)))
    index = links.account_index()
    created = account_created(store, index, links.n_accounts)
    if ablation.creation:
        created[:] = -1
    t = mark("load", t)
    spec = specificity(links, settings)
    t = mark("specificity", t)
    lock = lockstep(store, index, settings.neighbours, settings.lockstep_max_group,
                    settings.lockstep_min_windows, ablation.lockstep_kinds(
                        tuple(k.strip() for k in settings.lockstep_kinds.split(",") if k.strip())))
    t = mark("lockstep", t)
    sync: SyncPairs | None = SyncPairs.empty() if ablation.timing else synchrony_in_store(
        store, links.account_ids, _sync_params(settings))
    t = mark("synchrony", t)
    act = activity(store, index, links.n_accounts, settings.model_release, settings.release_window_hours,
                   settings.release_prior_requests)
    if ablation.release:
        act.release_active[:] = False
        act.windows = []
    t = mark("activity", t)
    pw, n_candidates = similarity(links, spec, lock, settings, sync)  # pw: the linked pairs only
    linked = np.ones(len(pw.a), bool)  # (scoring takes a mask of pw's rows)
    t = mark("similarity", t)
    combined = pw.combined
    find_communities = store.community_finder(links.account_ids) or communities  # Neo4j: in GDS
    labels = find_communities(links.n_accounts, pw.a, pw.b, combined,
                         settings.resolution, settings.seed, settings.min_ring_size, settings.min_tie)
    if settings.detach_bridged:  # (both engines: a household glued to a head by one link)
        labels = detach_bridged_groups(labels, pw.a, pw.b, settings.min_ring_size)
    t = mark("communities", t)
    capability = _capability_mask(store, links)
    # the links in artifact order, for every (community, artifact) question from here on; built
    # after similarity, whose peak it would add to
    runs = artifact_runs(links)

    def score(lab: np.ndarray) -> list[dict[str, float]]:
        return score_communities(lab, links, spec.df, pw, linked, lock, settings.lockstep_min_windows,
                                 created, act, capability, settings.burst_minutes * 60, sync,
                                 settings.young_days * 86_400, settings.ring_min_coordination,
                                 settings.youth_saturation_log10p, runs)

    scores = score(labels)
    is_ring = np.array([s["score"] >= settings.ring_threshold for s in scores], bool)
    if is_ring.sum() > 1:
        merged = merge_fragments(labels, pw.a, pw.b, combined, is_ring, settings.merge_ratio)
        if merged.max() < labels.max():  # re-peel: a bigger ring has a higher median tie
            labels = peel(merged, pw.a, pw.b, combined, settings.min_tie, settings.min_ring_size)
            scores = score(labels)
    reported = [i for i, s in enumerate(scores) if s["score"] >= settings.ring_threshold]
    consolidated = 0
    if settings.consolidate and len(reported) > 1:
        # fragments of one operator (creation cohorts) share its templates, cards, own builds
        agreement = AgreementParams(creation_days=settings.consolidate_creation_days,
                                    min_jump=settings.consolidate_switch_jump,
                                    support=settings.consolidate_switch_support,
                                    sync_pairs=settings.consolidate_sync_pairs)
        n_labels = int(labels.max()) + 1
        joined, joined_reported = consolidate(
            labels, reported, links, spec.family, settings.consolidate_min_shared,
            settings.consolidate_min_overlap, settings.consolidate_outside_accounts,
            settings.consolidate_outside_share, min_agreements=settings.consolidate_min_agreements,
            min_families=settings.consolidate_min_families, weak_share=settings.consolidate_weak_share,
            job_share=settings.consolidate_job_share,
            timing=ring_timing(labels, n_labels, created, act.windows, agreement, reported), sync=sync,
            agreement=agreement, runs=runs)
        consolidated = len(reported) - len(joined_reported)
        if consolidated:
            # a merged ring is reported because its parts were; its score is recomputed on the whole
            labels, reported = joined, joined_reported
            scores = score(labels)
    if settings.drop_bystanders and reported:  # linked to a ring, but acting like none of it
        acts = acting_with_ring(labels, reported, links, spec.df, sync, created, act, settings.burst_minutes * 60,
                                settings.young_days * 86_400, runs)
        kept = drop_bystanders(labels, reported, acts)
        if (kept != labels).any():
            labels = kept
            scores = score(labels)
            size = np.bincount(labels[labels >= 0], minlength=max(reported) + 1)
            # (a ring whose every member was a bystander is gone, and may be past the last score)
            reported = [r for r in reported if r < len(scores) and size[r] >= settings.min_ring_size
                        and scores[r]["score"] >= settings.ring_threshold]
    member_lists = _members(labels, links.account_ids, reported)
    t = mark("scoring", t)

    run_id = "run_" + started.strftime("%Y%m%dT%H%M%S%f") + "_" + xxhash.xxh3_64_hexdigest(
        str(time.time_ns()).encode())[:6]
    previous = {r.ring_id: set(r.members) for r in store.rings(include_dissolved=False)}
    assignments, ending = match_rings(member_lists, previous)
    prev_created = {r.ring_id: r.created_run for r in store.rings(include_dissolved=True, with_members=False)}
    rings, members, changes = [], [], []
    ring_artifacts = _ring_artifacts(reported, labels, links, spec, runs)
    del runs  # (and the groups it keeps) before the save
    for label, mem, asg in zip(reported, member_lists, assignments):
        s = dict(scores[label])
        score = s.pop("score")
        rings.append(Ring(ring_id=asg.ring_id, score=score, components=s, size=len(mem), status="active",
                          created_run=prev_created.get(asg.ring_id, run_id), updated_run=run_id,
                          members=mem, artifacts=ring_artifacts[label]))
        members += [RingMember(account_id=a, ring_id=asg.ring_id, score=score, since=started) for a in mem]
        changes.append(RingChange(run_id=run_id, ring_id=asg.ring_id, change=asg.change, detail=asg.detail))
    old = {r.ring_id: r for r in store.rings(include_dissolved=False, with_members=False)}
    for rid, change, detail in ending:
        o = old[rid]
        rings.append(Ring(ring_id=rid, score=o.score, components=o.components, size=0, status="dissolved",
                          created_run=o.created_run, updated_run=run_id))
        changes.append(RingChange(run_id=run_id, ring_id=rid, change=change, detail=detail))
    timings["total"] = round(time.perf_counter() - t0, 3)
    # links and artifacts as detection holds them: each account's single-user artifacts of a kind are one
    counts = {"accounts": links.n_accounts, "links": int(len(links.account)),
              "artifacts": links.n_artifacts, "candidate_pairs": n_candidates,
              "linked_pairs": int(len(pw.a)), "lockstep_pairs": int(len(lock[0])),
              "sync_pairs": int(len(sync.a)) if sync is not None else -1,
              "communities": len(scores), "rings": len(reported), "rings_consolidated": consolidated,
              "flagged_accounts": len(members),
              **{f"ms_{k}": int(v * 1000) for k, v in timings.items()}}
    finished = datetime.now(timezone.utc)
    run = DetectionRun(run_id=run_id, started_at=started, finished_at=finished,
                       duration_s=round(time.perf_counter() - t0, 3), params=_params(settings), counts=counts)
    raised_again = review_dismissed(store, rings, changes, settings.dismissed_score_margin, finished)
    result = DetectionResult(run=run, rings=rings, members=members, changes=changes)
    store.save_detection(result)
    for decision in raised_again:  # after the run is saved: a failed save raises nothing
        store.save_ring_decision(decision)
    mark("save", t)
    return result


def _members(labels: np.ndarray, account_ids: np.ndarray, reported: list[int]) -> list[list[str]]:
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    out = []
    for lab in reported:
        lo, hi = np.searchsorted(sorted_labels, [lab, lab + 1])
        out.append(sorted(account_ids[order[lo:hi]].tolist()))
    return out


def _ring_artifacts(reported: list[int], labels: np.ndarray, links, spec, runs: ArtifactRuns | None = None
                    ) -> dict[int, list[RingArtifact]]:
    """Per reported community: artifacts ≥2 members share, most specific first, with member counts."""
    want = np.zeros(int(labels.max()) + 2 if len(labels) else 1, bool)  # (an empty store: no labels)
    want[reported] = True
    groups = (runs if runs is not None else artifact_runs(links)).groups(labels)
    keep = want[groups.label] & (groups.links >= 2)
    k_lab, k_art, counts = groups.label[keep], groups.artifact[keep], groups.links[keep]
    # (a stable sort: ties of one label keep ascending artifact order, whatever order the groups are in)
    order = np.lexsort((-counts, -spec.value[k_art], k_lab))
    sorted_lab = k_lab[order]
    starts = np.r_[0, np.nonzero(np.diff(sorted_lab))[0] + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    out: dict[int, list[RingArtifact]] = {r: [] for r in reported}
    for i in order[rank < TOP_ARTIFACTS]:
        a = int(k_art[i])
        out[int(k_lab[i])].append(RingArtifact(
            kind=KINDS[links.artifact_kind[a]], artifact=links.value_of(a),
            specificity=round(float(spec.value[a]), 4), members=int(counts[i])))
    return out
