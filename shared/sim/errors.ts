// Error bodies copied from the real lab (see README.md): each service has its own shape.

export type Service = 'keystone' | 'nova' | 'glance' | 'cinder';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
export const reason = (status: number): string => REASONS[status] ?? 'Error';

// nova/api/openstack/wsgi.py Fault._fault_names (cinder uses the same table)
const NOVA_FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export const UNAUTHORIZED_MSG = 'The request you have made requires authentication.';

export function novaFault(status: number, message: string): unknown {
  const key = NOVA_FAULT_NAMES[status] ?? 'computeFault';
  return { [key]: { code: status, message } };
}

/** Keystone (Flask jsonify): compact JSON and a trailing newline. */
export function keystoneError(status: number, message: string): string {
  return `${JSON.stringify({ error: { code: status, message, title: reason(status) } })}\n`;
}

/** keystonemiddleware's 401 for Nova and Cinder (not the fault-table shape). */
export function middleware401(): unknown {
  return { error: { code: 401, title: 'Unauthorized', message: UNAUTHORIZED_MSG } };
}

/** Python html.escape(quote=True), which webob applies to the message (the lab shows &#x27;). */
export const htmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');

export const GLANCE_401_EXPLANATION =
  'This server could not verify that you are authorized to access the document you requested. ' +
  'Either you supplied the wrong credentials (e.g., bad password), or your browser does not ' +
  'understand how to supply the credentials required.';
export const GLANCE_409_EXPLANATION = 'There was a conflict when trying to complete your request.';

/** webob HTTPUnsupportedMediaType's own body template (no explanation / detail split). */
export const glance415 =
  (mediaType: string) =>
  (esc: (s: string) => string): string =>
    `The request media type ${esc(mediaType)} is not supported by this server.\n<br /><br />\n`;

/** webob HTTPMethodNotAllowed's own body template. */
export const webob405 =
  (method: string) =>
  (esc: (s: string) => string): string =>
    `The method ${esc(method)} is not allowed for this resource. <br /><br />\n`;
