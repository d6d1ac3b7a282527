<?php
// app.convert: one run per call. The call arrives on stdin as {"args", "kwargs", "details"}; what
// this prints on stdout is the result, and a non-zero exit is an error carrying stderr
// (docs/rest-procedures.md). Here: degrees Celsius to Fahrenheit.
$call = json_decode(stream_get_contents(STDIN), true);
$celsius = $call['args'][0] ?? null;
if (!is_int($celsius) && !is_float($celsius)) {
    fwrite(STDERR, "app.convert takes a temperature in degrees Celsius, e.g. [21.5]\n");
    exit(2);
}
echo json_encode(['args' => [$celsius * 9 / 5 + 32], 'kwargs' => ['unit' => 'F']]);
