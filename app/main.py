"""Creates the app: settings read once, services made in the lifespan, routers and static files wired.

``uvicorn app.main:app`` serves the defaults; tests call :func:`create_app` with their own settings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import partial

import torch
from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from . import __version__
from .api.drawn_maps import DrawnMaps
from .api.errors import install_error_handlers
from .api.limits import BodyLimit, ComputeGate
from .api.main import compute_paths, include_routers
from .api.module_graph import module_urls
from .api.security import SecurityHeaders, install_cors
from .api.static_files import StaticFilesInMemory
from .api.timing import ServerTiming
from .datasets import Cifar10, load_cifar10, start_download
from .engine.plan import warm_meta_kernels
from .i18n import Catalogues, install_i18n
from .images import UploadDirectory, set_pixel_limit
from .jobs.manager import JobManager
from .memory import release_free_heap, keep_startup_objects_out_of_collections, return_large_blocks_to_the_os
from .models.home import WeightsHome
from .runs import RunStore, StageMaps
from .runs.attributions import AttributionStore
from .services import Services
from .settings import Settings
from .retention import prune_periodically

log = logging.getLogger("layerlab")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        set_pixel_limit(settings.max_image_pixels)  # process-wide settings, made once here
        if settings.torch_threads is not None:
            torch.set_num_threads(settings.torch_threads)
        return_large_blocks_to_the_os()
        cifar10 = load_cifar10(settings)
        release_free_heap()
        services = Services(settings=settings, cifar10=cifar10, uploads=UploadDirectory(settings))
        app.state.services = services
        app.state.models = WeightsHome(
            settings.data_dir, max_elements=settings.max_elements, cache_bytes=settings.weights_cache_bytes
        )
        app.state.runs = RunStore(services, app.state.models)
        app.state.maps = StageMaps(app.state.runs, settings.map_cache_bytes)

        def downloaded(data: Cifar10) -> None:  # on the download's thread: swap the dataset, drop what came from the old one
            services.cifar10 = data
            app.state.runs.forget_outputs()
            app.state.maps.forget_drawn()

        services.cifar10_download = start_download(settings, downloaded)
        app.state.attributions = AttributionStore(app.state.runs, settings.data_dir, settings.attribution_cache_bytes, settings.max_elements)
        app.state.jobs = JobManager(services, weights=app.state.models)
        await app.state.jobs.start()
        pruning = asyncio.create_task(prune_periodically(settings.data_dir, settings.max_data_bytes, settings.max_data_age_days))
        # The first meta-device Linear imports torch._dynamo (~2.5 s, once a process): done before the
        # server answers, not in the first GET /api/models a visitor's page makes. Not on a thread beside
        # the requests: CPython 3.11's ast module is not thread-safe (gh-106905), and that import parsing
        # beside an ONNX import's onnxscript (or pytest's collection) raised "AST constructor recursion
        # depth mismatch".
        await asyncio.to_thread(warm_meta_kernels)
        keep_startup_objects_out_of_collections()  # last: what start-up made lives as long as the process
        log.info("layerlab %s ready; data in %s", __version__, settings.data_dir)
        try:
            yield
        finally:
            pruning.cancel()
            with suppress(asyncio.CancelledError):
                await pruning
            await app.state.jobs.stop()

    app = FastAPI(
        title="layerlab",
        version=__version__,
        description="See what PyTorch layers do: run conv, pooling, unpooling, activation and linear layers "
        "on images and tensors, and inspect every stage.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's default pages load Swagger UI / ReDoc from a CDN; /docs is served locally instead
        redoc_url=None,
        # One schema per model (Conv2dLayer, not Conv2dLayer-Input and -Output): a lesson answers the
        # same layers a run takes, and a client generated from the spec should see one type for both.
        separate_input_output_schemas=False,
    )
    install_error_handlers(app)
    # Added innermost first: every answer, refusals included, is timed and carries the headers.
    app.add_middleware(ComputeGate, settings=settings, paths=compute_paths())
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(DrawnMaps)  # a map already drawn: answered before the gate and routing
    install_cors(app, settings)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ServerTiming)
    include_routers(app)
    app.state.templates = Jinja2Templates(directory=settings.web_dir / "templates")
    app.state.catalogues = Catalogues()  # the .po files compiled now, once
    install_i18n(app.state.templates, app.state.catalogues)
    # {% for url in module_urls("js/main.js") %}: a page preloads its whole module graph in one round trip.
    app.state.templates.env.globals["module_urls"] = partial(module_urls, settings.web_dir / "static")
    app.mount("/static", StaticFilesInMemory(directory=settings.web_dir / "static"), name="static")
    vendor = settings.web_dir / "node_modules"
    if vendor.is_dir():  # browser libraries installed by `npm ci` (see package.json)
        app.mount("/vendor", StaticFilesInMemory(directory=vendor), name="vendor")
    return app


app = create_app()
