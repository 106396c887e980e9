// Saves a Blob as a file through a temporary object URL (no data: or inline navigation).

export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename || 'download';
  link.rel = 'noopener';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Saves text (e.g. a PEM) as a file. */
export function saveText(text, filename, type = 'application/x-pem-file') {
  saveBlob(new Blob([text], { type }), filename);
}
