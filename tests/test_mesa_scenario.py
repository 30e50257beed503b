"""Our scenario file's configuration is not Mesa's ``Scenario``: the models take it as ``config``,
never through ``scenario`` (the keyword of ``mesa.Model.__init__`` that SolaraViz's Reset fills),
and ``model.scenario`` stays Mesa's own."""

from __future__ import annotations

import inspect

import pytest
from mesa.experimental.scenarios import Scenario as MesaScenario

from abm.config.scenario import ScenarioConfig, load
from abm.models.clone import CloneTumour
from abm.models.spatial import SpatialTumour

SMALL = {
    SpatialTumour: {"model.width": 20, "model.height": 20, "model.initial_cells": 50, "model.days": 5},
    CloneTumour: {"model.kind": "clone", "model.initial_cells": 10_000, "model.days": 5},
}


@pytest.mark.parametrize("model_class", [SpatialTumour, CloneTumour], ids=lambda c: c.__name__)
def test_no_model_takes_a_parameter_named_scenario(model_class: type) -> None:
    parameters = inspect.signature(model_class.__init__).parameters
    assert "scenario" not in parameters
    assert next(iter(parameters.values())).name == "self" and list(parameters)[1] == "config"


@pytest.mark.parametrize("model_class", [SpatialTumour, CloneTumour], ids=lambda c: c.__name__)
def test_model_scenario_is_mesas_and_model_config_ours(model_class: type) -> None:
    config = load(None, SMALL[model_class])
    model = model_class(config, rng=3)
    assert isinstance(model.scenario, MesaScenario) and not isinstance(model.scenario, ScenarioConfig)
    assert model.scenario.model is model
    assert isinstance(model.config, ScenarioConfig) and model.config.model.days == 5
    model.step()  # stepping leaves Mesa's Scenario in place
    assert isinstance(model.scenario, MesaScenario)


@pytest.mark.parametrize("model_class", [SpatialTumour, CloneTumour], ids=lambda c: c.__name__)
def test_the_old_keyword_is_a_clear_error(model_class: type) -> None:
    """``scenario=`` (the old keyword, or a Mesa Scenario from SolaraViz's Reset) is refused by name,
    not read as an unknown parameter override."""
    with pytest.raises(TypeError, match=r"config= .*not scenario="):
        model_class(scenario=load(None, SMALL[model_class]))
    with pytest.raises(TypeError, match="config="):
        model_class(scenario=MesaScenario(rng=1))
