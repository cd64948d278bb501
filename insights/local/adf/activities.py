"""Execution activities (Copy, Lookup, GetMetadata, DatabricksJob) on the local bindings.

Each handler takes the activity JSON and the expression scope and returns the activity's output in
the shape ADF documents, so that `activity('x').output...` reads the same here and in Azure.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from adf_pipelines import Factory
from insights.local.adf.bindings import BindingError, Lake, LocalJobs, SqlServerSource
from insights.local.adf.executor import ActivityFailed, ActivityHandler
from insights.local.adf.expressions import Scope, evaluate
from insights.local.atomic import write_atomically

LOOKUP_MAX_ROWS = 5000  # ADF's documented Lookup limit


@dataclass(frozen=True)
class Dataset:
    """A dataset reference resolved for one activity run: type, linked service, evaluated properties."""

    name: str
    type: str
    linked_service: str
    properties: dict


class LocalActivities:
    """Binds the execution activities of one factory to the local source, lake and jobs."""

    def __init__(self, factory: Factory, linked_services: dict[str, object]) -> None:
        self.factory = factory
        self.linked_services = linked_services

    def handlers(self) -> dict[str, ActivityHandler]:
        return {
            "Copy": self.copy,
            "Lookup": self.lookup,
            "GetMetadata": self.get_metadata,
            "DatabricksJob": self.databricks_job,
        }

    # ------------------------------------------------------------------------------- resolution
    def _linked(self, name: str, kind: type) -> Any:
        service = self.linked_services.get(name)
        if not isinstance(service, kind):
            raise BindingError(f"linked service {name!r} is not bound to a local {kind.__name__}")
        return service

    def _dataset(self, reference: dict, scope: Scope) -> Dataset:
        definition = self.factory.dataset(reference["referenceName"])
        declared = definition.get("parameters", {})
        arguments = evaluate(reference.get("parameters", {}), scope)
        values = {name: arguments.get(name, spec.get("defaultValue")) for name, spec in declared.items()}
        missing = [name for name, value in values.items() if value is None]
        if missing:
            raise ActivityFailed(f"dataset {reference['referenceName']!r}: no value for {', '.join(missing)}")
        properties = evaluate(definition.get("typeProperties", {}), replace(scope, dataset=values))
        return Dataset(
            name=reference["referenceName"],
            type=definition["type"],
            linked_service=definition["linkedServiceName"]["referenceName"],
            properties=properties,
        )

    def _file(self, dataset: Dataset) -> Path:
        return self._linked(dataset.linked_service, Lake).path(dataset.properties["location"])

    def _rows(self, source: dict, dataset: Dataset, scope: Scope) -> pa.RecordBatchReader:
        """The rows a Copy or Lookup source reads."""
        kind = source.get("type")
        if kind == "SqlServerSource":
            database = self._linked(dataset.linked_service, SqlServerSource)
            query = evaluate(source.get("sqlReaderQuery"), scope)
            if not query:
                table = dataset.properties.get("schema"), dataset.properties.get("table")
                query = f"SELECT * FROM [{table[0]}].[{table[1]}]"
            return database.query(query)
        if kind == "JsonSource":
            return pa.Table.from_pylist(_read_json(self._file(dataset))).to_reader()
        raise BindingError(f"source type {kind!r} is not bound locally (SqlServerSource, JsonSource are)")

    # ------------------------------------------------------------------------------- activities
    def copy(self, activity: dict, scope: Scope) -> dict:
        props = activity["typeProperties"]
        source, sink = props["source"], props["sink"]
        source_ds = self._dataset(activity["inputs"][0], scope)
        sink_ds = self._dataset(activity["outputs"][0], scope)
        if source.get("type") == "BinarySource":
            return self._copy_files(source, sink, source_ds, sink_ds, scope)
        rows = self._rows(source, source_ds, scope)
        target = self._file(sink_ds)
        kind = sink.get("type")
        if kind == "ParquetSink":
            count = write_atomically(target, lambda tmp: _write_parquet(rows, tmp))
        elif kind == "JsonSink":
            pattern = sink.get("formatSettings", {}).get("filePattern", "setOfObjects")
            count = write_atomically(target, lambda tmp: _write_json(rows, tmp, pattern))
        else:
            raise BindingError(f"sink type {kind!r} is not bound locally (ParquetSink, JsonSink, BinarySink are)")
        return {
            "rowsRead": count,
            "rowsCopied": count,
            "filesWritten": 1,
            "dataWritten": target.stat().st_size,
            "sinkPath": str(target),
        }

    def _copy_files(self, source: dict, sink: dict, source_ds: Dataset, sink_ds: Dataset, scope: Scope) -> dict:
        settings = evaluate(source.get("storeSettings", {}), scope)
        location = dict(source_ds.properties["location"])
        if settings.get("wildcardFolderPath"):
            location["folderPath"] = settings["wildcardFolderPath"]
        lake = self._linked(source_ds.linked_service, Lake)
        folder = lake.path({k: v for k, v in location.items() if k != "fileName"})
        pattern = settings.get("wildcardFileName") or location.get("fileName") or "*"
        files = sorted(p for p in folder.glob("*") if p.is_file() and fnmatch.fnmatch(p.name, pattern))
        target = self._file(sink_ds)
        written = 0
        for file in files:
            write_atomically(target / file.name, lambda tmp, file=file: shutil.copyfile(file, tmp))
            written += file.stat().st_size
        if settings.get("deleteFilesAfterCompletion"):
            for file in files:
                file.unlink()
        return {"filesRead": len(files), "filesWritten": len(files), "dataWritten": written}

    def lookup(self, activity: dict, scope: Scope) -> dict:
        props = activity["typeProperties"]
        dataset = self._dataset(props["dataset"], scope)
        if props["source"].get("type") == "JsonSource":  # JSON values as they are: no Arrow round trip
            rows = _read_json(self._file(dataset))[:LOOKUP_MAX_ROWS]
        else:
            rows = _json_rows(self._rows(props["source"], dataset, scope).read_all().slice(0, LOOKUP_MAX_ROWS))
        if props.get("firstRowOnly", True):
            if not rows:
                raise ActivityFailed(f"Lookup {activity['name']!r}: the source returned no row")
            return {"firstRow": rows[0]}
        return {"count": len(rows), "value": rows}

    def get_metadata(self, activity: dict, scope: Scope) -> dict:
        props = activity["typeProperties"]
        path = self._file(self._dataset(props["dataset"], scope))
        fields = props.get("fieldList", [])
        if not path.exists():
            if "exists" in fields:
                return {"exists": False}
            raise ActivityFailed(f"GetMetadata {activity['name']!r}: {path} does not exist", "PathNotFound")
        stat = path.stat()
        available = {
            "exists": True,
            "itemName": path.name,
            "itemType": "Folder" if path.is_dir() else "File",
            "size": stat.st_size,
            "lastModified": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
            "childItems": [
                {"name": child.name, "type": "Folder" if child.is_dir() else "File"} for child in sorted(path.iterdir())
            ]
            if path.is_dir()
            else None,
        }
        unknown = [name for name in fields if name not in available]
        if unknown:
            raise ActivityFailed(
                f"GetMetadata {activity['name']!r}: field(s) {', '.join(unknown)} not supported locally"
            )
        return {name: available[name] for name in fields}

    def databricks_job(self, activity: dict, scope: Scope) -> dict:
        props = evaluate(activity["typeProperties"], scope)
        jobs = self._linked(activity["linkedServiceName"]["referenceName"], LocalJobs)
        run_output = jobs.run(str(props["jobId"]), props.get("jobParameters", {}))
        return {"jobId": props["jobId"], "runId": str(uuid.uuid4()), "runPageUrl": "", "runOutput": run_output}


# --------------------------------------------------------------------------------------- files
def _write_parquet(rows: pa.RecordBatchReader, path: Path) -> int:
    count = 0
    with pq.ParquetWriter(path, rows.schema, compression="snappy") as writer:
        for batch in rows:
            writer.write_batch(batch)
            count += batch.num_rows
    return count


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _json_rows(table: pa.Table) -> list[dict]:
    return [{key: _json_value(value) for key, value in row.items()} for row in table.to_pylist()]


def _write_json(rows: pa.RecordBatchReader, path: Path, pattern: str) -> int:
    records = _json_rows(rows.read_all())
    with path.open("w", encoding="utf-8") as out:
        if pattern == "arrayOfObjects":
            json.dump(records, out)
        else:
            out.writelines(json.dumps(record) + "\n" for record in records)
    return len(records)


def _read_json(path: Path) -> list[dict]:
    if not path.is_file():
        raise ActivityFailed(f"{path} does not exist", "PathNotFound")
    text = path.read_text(encoding="utf-8").strip()
    return json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line]
