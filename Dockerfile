# layerlab in a container: `docker build -t layerlab .` then `docker run -p 8000:8000 layerlab`.
# Layers go from what changes least (torch) to what changes most (the app), so editing code
# rebuilds only the last few layers.

# Browser libraries (uPlot, Swagger UI) from package-lock.json, with node from Debian; only
# node_modules leaves this stage.
FROM python:3.11-slim AS web
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /web
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --omit=dev --no-audit --no-fund

FROM python:3.11-slim
# PyTorch's CPU wheels by default (no CUDA libraries: a far smaller image). Empty: the default
# index (on Linux x86-64 that is the CUDA build, which also runs on a CPU). A GPU image:
# --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126, run with --gpus all.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m pip install ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} torch torchvision

# The other dependencies, read from pyproject.toml, so this layer changes only when they do.
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && python -m pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The app as a package; its page files (templates, scripts, browser libraries) beside it.
COPY README.md ./
COPY app ./app
RUN python -m pip install --no-deps . && rm -rf /src
COPY templates /opt/layerlab/web/templates
COPY static /opt/layerlab/web/static
COPY --from=web /web/node_modules /opt/layerlab/web/node_modules

RUN useradd --system --uid 10001 --create-home --home-dir /home/layerlab layerlab \
 && mkdir -p /data && chown layerlab:layerlab /data
ENV LAYERLAB_WEB_DIR=/opt/layerlab/web \
    LAYERLAB_DATA_DIR=/data \
    LAYERLAB_HOST=0.0.0.0 \
    LAYERLAB_PORT=8000
VOLUME /data
USER layerlab
WORKDIR /home/layerlab
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['LAYERLAB_PORT']}/healthz\", timeout=4)"]
# The README's serve command: `python -m app` (host and port from LAYERLAB_HOST / LAYERLAB_PORT).
CMD ["python", "-m", "app"]
