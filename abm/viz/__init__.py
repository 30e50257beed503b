"""The browser view of the models (``abm viz``): a SolaraViz app of the spatial model and one
virtual patient of the clone model, with its browser assets installed locally (``assets``)."""
