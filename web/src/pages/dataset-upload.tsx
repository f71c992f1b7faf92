import { useState } from 'preact/hooks';
import type { TargetedSubmitEvent } from 'preact';
import { useApi, withQuery } from '../api.js';
import type { Dataset } from '../api-types.js';
import { ProblemBox } from '../components/problem-box.js';
import { asProblem, type ApiProblem } from '../problem.js';
import { href, navigate } from '../router.js';

/** The media type the API reads a file as, by its name: the formats of POST /v1/datasets. */
const MEDIA_TYPES: Array<[RegExp, string]> = [
  [/\.csv$/i, 'text/csv'],
  [/\.(ndjson|jsonl)$/i, 'application/x-ndjson'],
  [/\.json$/i, 'application/json'],
  [/\.zip$/i, 'application/zip'],
  [/\.(tar\.gz|tgz)$/i, 'application/gzip'],
  [/\.tar$/i, 'application/x-tar'],
];

export const mediaTypeOf = (file: File) =>
  MEDIA_TYPES.find(([pattern]) => pattern.test(file.name))?.[1] ?? (file.type || 'application/octet-stream');

const isArchive = (type: string) => /zip|tar|gzip/.test(type);

/** Uploads a CSV, NDJSON or JSON file of rows, or a zip or tar of one folder of images per class. */
export function DatasetUpload() {
  const api = useApi();
  const [file, setFile] = useState<File | undefined>(undefined);
  const [name, setName] = useState('');
  const [labelColumn, setLabelColumn] = useState('');
  const [size, setSize] = useState('');
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const type = file ? mediaTypeOf(file) : '';

  const submit = async (event: TargetedSubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setProblem(undefined);
    const query = {
      name: name.trim() || file.name,
      labelColumn: type === 'text/csv' && labelColumn.trim() ? labelColumn.trim() : undefined,
      size: isArchive(type) && size.trim() ? size.trim() : undefined,
    };
    try {
      const dataset = await api.upload<Dataset>(withQuery('/v1/datasets', query), file, type);
      navigate(href('datasets', dataset.id));
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="upload" onSubmit={(event) => void submit(event)}>
      <label for="upload-file">File (CSV, NDJSON, JSON; zip or tar of class folders)</label>
      <input
        id="upload-file"
        type="file"
        required
        accept=".csv,.ndjson,.jsonl,.json,.zip,.tar,.tgz,.gz"
        onChange={(event) => setFile(event.currentTarget.files?.[0])}
      />
      <label for="upload-name">Name</label>
      <input
        id="upload-name"
        value={name}
        placeholder={file?.name}
        onInput={(e) => setName(e.currentTarget.value)}
      />
      {type === 'text/csv' && (
        <>
          <label for="upload-label">Label column (default: label)</label>
          <input
            id="upload-label"
            value={labelColumn}
            onInput={(e) => setLabelColumn(e.currentTarget.value)}
          />
        </>
      )}
      {isArchive(type) && (
        <>
          <label for="upload-size">Resize images to (WxH, optional)</label>
          <input
            id="upload-size"
            value={size}
            placeholder="96x96"
            onInput={(e) => setSize(e.currentTarget.value)}
          />
        </>
      )}
      <button type="submit" disabled={busy || !file}>
        {busy ? 'Uploading…' : 'Upload'}
      </button>
      <ProblemBox problem={problem} />
    </form>
  );
}
