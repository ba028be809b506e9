/* goldset._linescan: the two costliest checks of `goldset validate`'s batch
 * path, done in one pass over each line's bytes.
 *
 * clean_lines(lines: list[bytes]) -> list[bool]
 *
 * True means, for a line that is already known to be compact canonical JSON
 * (the caller checks orjson.dumps(parsed) == line and the top-level key order):
 *   - every object below the top level has its keys in strictly increasing
 *     byte order (UTF-8 byte order is code point order, which is what Python's
 *     sorted() gives), with no backslash escape in any of those keys;
 *   - the line starts {"id":"<id without escapes>", and has a top-level
 *     ,"provenance": key, and ends ,"content_hash":"<16 characters>"};
 *   - those 16 characters are the first 16 hex digits of the SHA-256 of
 *     "{" + the bytes between the id and ,"provenance": + "}" (goldset's
 *     content hash, golden.content_hash_of_line).
 * False means "not shown clean here": the Python path decides and explains.
 * The scanner never reads outside the line, whatever its bytes; on malformed
 * input it answers False.
 *
 * SHA-256 comes from the OpenSSL libcrypto that Python's hashlib uses, found
 * with dlopen at import, so building needs no OpenSSL headers; if it cannot
 * be found the import fails and goldset uses its pure-Python path.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <string.h>

#define MAX_DEPTH 512

/* OpenSSL's low-level SHA-256 (its one-shot SHA256() looks the algorithm up on
 * every call in OpenSSL 3, which costs more than hashing a line). The context
 * is opaque here: 112 bytes in every OpenSSL release, given room to spare. */
typedef struct {
    _Alignas(16) unsigned char opaque[256];
} sha_ctx;
typedef int (*sha_init_fn)(sha_ctx *);
typedef int (*sha_update_fn)(sha_ctx *, const void *, size_t);
typedef int (*sha_final_fn)(unsigned char *, sha_ctx *);
static sha_init_fn sha_init = NULL;
static sha_update_fn sha_update = NULL;
static sha_final_fn sha_final = NULL;

/* Index of the quote closing a string whose content starts at i, or -1.
 * Sets *escaped when the string holds a backslash. */
static Py_ssize_t string_end(const char *s, Py_ssize_t n, Py_ssize_t i, int *escaped)
{
    while (i < n) {
        const char *quote = memchr(s + i, '"', (size_t)(n - i));
        const char *slash;
        if (quote == NULL)
            return -1;
        slash = memchr(s + i, '\\', (size_t)(quote - s - i));
        if (slash == NULL)
            return quote - s;
        /* An escape before that quote: skip it and what it escapes, look again. */
        *escaped = 1;
        i = slash - s + 2;
    }
    return -1;
}

/* Offset of the top-level ,"provenance": key's comma (the end of the hashed
 * body) when every nested object's keys are sorted; -1 otherwise. */
static Py_ssize_t scan(const char *s, Py_ssize_t n)
{
    /* Per open container: is it an object, and the last key seen in it. */
    static __thread char is_obj[MAX_DEPTH];
    static __thread const char *last_key[MAX_DEPTH];
    static __thread Py_ssize_t last_len[MAX_DEPTH];
    int depth = 0;
    Py_ssize_t provenance = -1;
    Py_ssize_t i = 0;

    if (n < 2 || s[0] != '{')
        return -1;
    is_obj[0] = 1;
    last_key[0] = NULL;
    depth = 1;
    i = 1;
    if (s[i] == '}')
        return -1; /* {} has no provenance */

    for (;;) {
        /* At the start of a member (object) or an element (array). */
        if (i >= n)
            return -1;
        if (is_obj[depth - 1]) {
            int escaped = 0;
            Py_ssize_t key, end, len;
            if (s[i] != '"')
                return -1;
            key = i + 1;
            end = string_end(s, n, key, &escaped);
            if (end < 0 || end + 1 >= n || s[end + 1] != ':')
                return -1;
            len = end - key;
            if (depth >= 2) {
                const char *prev = last_key[depth - 1];
                if (escaped)
                    return -1;
                if (prev != NULL) {
                    Py_ssize_t plen = last_len[depth - 1];
                    int c = memcmp(prev, s + key, plen < len ? plen : len);
                    if (c > 0 || (c == 0 && plen >= len))
                        return -1;
                }
                last_key[depth - 1] = s + key;
                last_len[depth - 1] = len;
            }
            else if (len == 10 && !escaped && memcmp(s + key, "provenance", 10) == 0 &&
                     s[i - 1] == ',') {
                provenance = i - 1;
            }
            i = end + 2;
            if (i >= n)
                return -1;
        }
        /* A value. */
        switch (s[i]) {
        case '"': {
            int escaped = 0;
            Py_ssize_t end = string_end(s, n, i + 1, &escaped);
            if (end < 0)
                return -1;
            i = end + 1;
            break;
        }
        case '{':
        case '[':
            if (depth >= MAX_DEPTH)
                return -1;
            is_obj[depth] = (char)(s[i] == '{');
            last_key[depth] = NULL;
            depth++;
            i++;
            if (i >= n)
                return -1;
            if (s[i] == (is_obj[depth - 1] ? '}' : ']'))
                break; /* empty container: closed below */
            continue;
        default:
            /* A number or a literal: compact JSON ends it at , ] or } */
            while (i < n && s[i] != ',' && s[i] != ']' && s[i] != '}')
                i++;
            break;
        }
        /* After a value: close containers, then a comma starts the next one. */
        for (;;) {
            if (i >= n)
                return -1;
            if (s[i] == ',') {
                i++;
                break;
            }
            if (s[i] != (is_obj[depth - 1] ? '}' : ']'))
                return -1;
            depth--;
            i++;
            if (depth == 0)
                return i == n ? provenance : -1;
        }
    }
}

static const char HEX[] = "0123456789abcdef";
#define TAIL ",\"content_hash\":\""
#define TAIL_LEN 17 /* then 16 characters, then "} */

static int clean(const char *s, Py_ssize_t n)
{
    Py_ssize_t end, start, len, k;
    unsigned char digest[32];
    sha_ctx ctx;
    const char *quote, *want;

    /* {"id":"<id>", */
    if (n < 9 + TAIL_LEN + 18 || memcmp(s, "{\"id\":\"", 7) != 0)
        return 0;
    quote = memchr(s + 7, '"', (size_t)(n - 7));
    if (quote == NULL || memchr(s + 7, '\\', (size_t)(quote - s - 7)) != NULL)
        return 0;
    start = quote - s + 2;
    if (start >= n || s[start - 1] != ',')
        return 0;
    /* ,"content_hash":"<16>"} */
    if (memcmp(s + n - 35, TAIL, TAIL_LEN) != 0 || s[n - 2] != '"' || s[n - 1] != '}')
        return 0;
    end = scan(s, n);
    if (end < 0 || end < start - 1)
        return 0;
    len = end > start ? end - start : 0;
    if (!sha_init(&ctx) || !sha_update(&ctx, "{", 1) ||
        !sha_update(&ctx, s + start, (size_t)len) || !sha_update(&ctx, "}", 1) ||
        !sha_final(digest, &ctx))
        return 0;
    want = s + n - 18;
    for (k = 0; k < 8; k++) {
        if (want[2 * k] != HEX[digest[k] >> 4] || want[2 * k + 1] != HEX[digest[k] & 15])
            return 0;
    }
    return 1;
}

static PyObject *clean_lines(PyObject *self, PyObject *lines)
{
    Py_ssize_t count, j;
    PyObject *out;
    (void)self;
    if (!PyList_Check(lines)) {
        PyErr_SetString(PyExc_TypeError, "clean_lines expects a list of bytes");
        return NULL;
    }
    count = PyList_GET_SIZE(lines);
    out = PyList_New(count);
    if (out == NULL)
        return NULL;
    for (j = 0; j < count; j++) {
        PyObject *line = PyList_GET_ITEM(lines, j);
        PyObject *answer;
        if (!PyBytes_Check(line)) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "clean_lines expects a list of bytes");
            return NULL;
        }
        answer = clean(PyBytes_AS_STRING(line), PyBytes_GET_SIZE(line)) ? Py_True : Py_False;
        Py_INCREF(answer);
        PyList_SET_ITEM(out, j, answer);
    }
    return out;
}

static PyObject *nested_sorted(PyObject *self, PyObject *line)
{
    /* For tests: the scanner alone (provenance offset, or -1). */
    (void)self;
    if (!PyBytes_Check(line)) {
        PyErr_SetString(PyExc_TypeError, "nested_sorted expects bytes");
        return NULL;
    }
    return PyLong_FromSsize_t(scan(PyBytes_AS_STRING(line), PyBytes_GET_SIZE(line)));
}

static PyMethodDef methods[] = {
    {"clean_lines", clean_lines, METH_O,
     "clean_lines(lines) -> list[bool]: nested keys sorted and content hash right"},
    {"scan", nested_sorted, METH_O,
     "scan(line) -> int: offset of the top-level ,\"provenance\": when nested keys are "
     "sorted, else -1"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "goldset._linescan", NULL, -1,
                                    methods};

PyMODINIT_FUNC PyInit__linescan(void)
{
    static const char *names[] = {"libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so",
                                  "libcrypto.3.dylib", "libcrypto.dylib", NULL};
    int k;
    for (k = 0; names[k] != NULL && sha_final == NULL; k++) {
        void *lib = dlopen(names[k], RTLD_NOW | RTLD_LOCAL);
        if (lib == NULL)
            continue;
        sha_init = (sha_init_fn)dlsym(lib, "SHA256_Init");
        sha_update = (sha_update_fn)dlsym(lib, "SHA256_Update");
        sha_final = (sha_final_fn)dlsym(lib, "SHA256_Final");
        if (sha_init == NULL || sha_update == NULL || sha_final == NULL)
            sha_init = NULL, sha_update = NULL, sha_final = NULL;
    }
    if (sha_final == NULL) {
        PyErr_SetString(PyExc_ImportError, "goldset._linescan: no libcrypto with SHA256");
        return NULL;
    }
    return PyModule_Create(&module);
}
