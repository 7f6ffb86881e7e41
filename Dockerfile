# PDF.js for the document viewer (page-by-page Range loading); version as in the Makefile
FROM node:20-bookworm-slim AS pdfjs
RUN npm install --silent --omit=optional --prefix /pdfjs pdfjs-dist@4.10.38

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-deu tesseract-ocr-eng tesseract-ocr-osd \
    poppler-utils fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core wngerman icc-profiles-free qpdf curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY akte ./akte
COPY ingest ./ingest
COPY search ./search
COPY outbox ./outbox
COPY records ./records
COPY migrations ./migrations
COPY --from=pdfjs /pdfjs/node_modules/pdfjs-dist/build/pdf.min.mjs /pdfjs/node_modules/pdfjs-dist/build/pdf.worker.min.mjs /opt/pdfjs-dist/build/
COPY --from=pdfjs /pdfjs/node_modules/pdfjs-dist/standard_fonts /opt/pdfjs-dist/standard_fonts
ENV AKTE_PDFJS_DIR=/opt/pdfjs-dist
# A regular (not editable) install: the migrations are part of the package, the sources go.
RUN pip install --no-cache-dir -c constraints.txt . && rm -rf /src \
 && useradd -r -u 10001 akte && mkdir -p /data && chown akte /data
WORKDIR /data
USER akte
ENV AKTE_DATA_DIR=/data OMP_THREAD_LIMIT=1
EXPOSE 8000
CMD ["uvicorn", "akte.asgi:app", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers"]
