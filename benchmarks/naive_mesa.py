"""Implementation A: idiomatic, hand-written Mesa 3.5.1 tumour ABM (the baseline).

One CellAgent per tumour cell on an OrthogonalMooreGrid (capacity 1, no torus),
random activation via ``self.agents.shuffle_do("step")`` and a DataCollector
with one model reporter per phenotype. Nothing is tuned for speed on purpose:
this is what a competent Mesa user would write from the docs/examples.

Rules (constants in naive_rules.py): each step, in random order, every cell
that exists at the start of the step
  1. dies with probability DEATH[drug][phenotype]; otherwise
  2. divides with probability BIRTH[drug][phenotype] into a uniformly random
     EMPTY Moore neighbour (no division if there is none); the daughter
     inherits the phenotype, except a SENSITIVE parent's daughter becomes
     RESISTANT with prob. 1e-4;
  3. then (same cell, after 2.) switches SENSITIVE->DTP with prob 0.02 under
     drug, or DTP->SENSITIVE with prob 0.01 off drug.
Daughters born during a step act from the next step on (shuffle_do iterates
over a snapshot of the agent set).

Usage: python naive_mesa.py --width 100 --steps 200 --seed 0
           [--reporter select|get] [--drug on|off] [--csv traj.csv]
"""

import argparse
import json
import sys
import time

import mesa
from mesa.discrete_space import CellAgent, OrthogonalMooreGrid
from naive_rules import (  # benchmarks/naive_rules.py (benchmarks/ is not a package)
    BIRTH,
    DEATH,
    DTP,
    INIT_RESISTANT,
    NAMES,
    P_DTP_TO_S,
    P_MUT_S_TO_R,
    P_S_TO_DTP,
    RESISTANT,
    SENSITIVE,
    in_initial_disc,
)


class TumourCell(CellAgent):
    """One tumour cell occupying one lattice site."""

    def __init__(self, model, cell, phenotype):
        super().__init__(model)
        self.cell = cell
        self.phenotype = phenotype

    def step(self):
        drug = self.model.drug_on
        phenotype = self.phenotype

        # 1. death
        if self.random.random() < DEATH[drug][phenotype]:
            self.remove()
            return

        # 2. division into a random empty Moore neighbour
        if self.random.random() < BIRTH[drug][phenotype]:
            empty_neighbours = self.cell.neighborhood.select(lambda c: c.is_empty)
            if len(empty_neighbours) > 0:
                daughter = phenotype
                if phenotype == SENSITIVE and self.random.random() < P_MUT_S_TO_R:
                    daughter = RESISTANT
                TumourCell(self.model, empty_neighbours.select_random_cell(), daughter)

        # 3. phenotype switching
        if drug:
            if phenotype == SENSITIVE and self.random.random() < P_S_TO_DTP:
                self.phenotype = DTP
        elif phenotype == DTP and self.random.random() < P_DTP_TO_S:
            self.phenotype = SENSITIVE


# Two idiomatic ways to count agents by attribute : "select" is
# the pattern used in Mesa's own wolf_sheep example (len(agents.select(...)));
# "get" pulls the attribute list once per reporter (AgentSet.get) and counts it.
def count_select(model, phenotype):
    return len(model.agents.select(lambda a: a.phenotype == phenotype))


def count_get(model, phenotype):
    return model.agents.get("phenotype").count(phenotype)


REPORTERS = {"select": count_select, "get": count_get}


class TumourModel(mesa.Model):
    def __init__(self, width=100, drug_on=True, rng=None, reporter="select"):
        super().__init__(rng=rng)
        self.drug_on = drug_on
        self.grid = OrthogonalMooreGrid((width, width), torus=False, capacity=1, random=self.random)

        for cell in self.grid.all_cells:
            i, j = cell.coordinate
            if in_initial_disc(i, j, width):
                phenotype = RESISTANT if self.random.random() < INIT_RESISTANT else SENSITIVE
                TumourCell(self, cell, phenotype)

        count = REPORTERS[reporter]
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "SENSITIVE": lambda m: count(m, SENSITIVE),
                "DTP": lambda m: count(m, DTP),
                "RESISTANT": lambda m: count(m, RESISTANT),
            }
        )
        self.datacollector.collect(self)

    def step(self):
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=100)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--drug", choices=["on", "off"], default="on")
    p.add_argument("--reporter", choices=sorted(REPORTERS), default="select")
    p.add_argument("--csv", default=None, help="write per-step phenotype counts")
    a = p.parse_args(argv)

    t0 = time.perf_counter()
    model = TumourModel(width=a.width, drug_on=(a.drug == "on"), rng=a.seed, reporter=a.reporter)
    t1 = time.perf_counter()
    for _ in range(a.steps):
        model.step()
    t2 = time.perf_counter()

    df = model.datacollector.get_model_vars_dataframe()
    live = df[list(NAMES)].sum(axis=1).to_numpy()
    cell_steps = int(live[: a.steps].sum())  # cells alive at the start of each step
    if a.csv:
        df.index.name = "step"
        df.to_csv(a.csv)
    out = {
        "impl": "naive_mesa",
        "width": a.width,
        "steps": a.steps,
        "seed": a.seed,
        "drug": a.drug,
        "reporter": a.reporter,
        "setup_s": round(t1 - t0, 4),
        "loop_s": round(t2 - t1, 4),
        "cell_steps": cell_steps,
        "loop_cell_steps_per_s": round(cell_steps / (t2 - t1), 1),
        "initial": {n: int(df[n].iloc[0]) for n in NAMES},
        "final": {n: int(df[n].iloc[-1]) for n in NAMES},
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
