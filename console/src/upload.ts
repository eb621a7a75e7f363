/** PUTs a body with XMLHttpRequest (fetch reports no upload progress); resolves to the response's ETag. */
export function putWithProgress(url: string, body: Blob, headers: Record<string, string>, onProgress: (loaded: number) => void): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    // The browser sets Content-Length itself and refuses to let a page set it.
    for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.getResponseHeader('ETag'));
      else reject(new Error(`The object store refused the upload (HTTP ${xhr.status}): ${describeStoreError(xhr.responseText)}`));
    };
    xhr.onerror = () => reject(new Error('The upload failed: the object store could not be reached.'));
    xhr.send(body);
  });
}

function describeStoreError(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: { message?: string }[] };
    if (body.errors?.[0]?.message) return body.errors[0].message;
  } catch {
    // Not the lab's JSON: S3 answers XML.
  }
  return text.slice(0, 200);
}
