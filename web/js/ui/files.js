// Reading uploaded files and choosing the media type the API expects for them.

/** The bytes of a File as a Uint8Array. */
export function readBytes(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result));
    reader.onerror = () => reject(new Error(`The file ${file.name} could not be read.`));
    reader.readAsArrayBuffer(file);
  });
}

/** True when bytes are PEM text: a "-----BEGIN" line and no NUL byte near the start. */
export function isPem(bytes) {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 8192));
  return /-----BEGIN [A-Z0-9 #]+-----/.test(head) && !head.includes('\u0000');
}

const CERTIFICATE_TYPES = {
  pem: 'application/x-pem-file',
  der: 'application/pkix-cert',
  pkcs7: 'application/pkcs7-mime',
  pkcs12: 'application/x-pkcs12',
};

/** The media type of a certificate file: format is auto, pem, der, pkcs7 or pkcs12. */
export function certificateMediaType(file, bytes, format = 'auto') {
  if (format !== 'auto') return CERTIFICATE_TYPES[format];
  if (isPem(bytes)) return CERTIFICATE_TYPES.pem;
  const name = file.name.toLowerCase();
  if (/\.(p12|pfx)$/.test(name)) return CERTIFICATE_TYPES.pkcs12;
  if (/\.(p7b|p7c|p7s|p7m|spc)$/.test(name)) return CERTIFICATE_TYPES.pkcs7;
  if (/\.(der|cer|crt)$/.test(name)) return CERTIFICATE_TYPES.der;
  return 'application/octet-stream';
}

export const CERTIFICATE_FILE_ACCEPT = '.pem,.crt,.cer,.der,.p7b,.p7c,.p12,.pfx,application/x-pem-file,application/pkix-cert,application/pkcs7-mime,application/x-pkcs12';
export const KEY_FILE_ACCEPT = '.pem,.key,.der,.p8,.pk8';
