package de.monticore.mlpipelines.tracking.format;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Formats doubles exactly as Python's {@code repr(float)} does, so that files written by the Java
 * and the Python half of a backend (CSV metrics) read the same: {@code 0.25}, {@code 1e-05},
 * {@code 1e+16}, {@code 100.0}, {@code nan}, {@code inf}, {@code -inf}, {@code -0.0}.
 *
 * <p>Python prints the shortest decimal that reads back as the same double (the nearest such one
 * when several have that length), in fixed notation when the decimal exponent lies in [-4, 16)
 * and in scientific notation otherwise. Java 17's {@link Double#toString} neither guarantees the
 * shortest digits nor uses that notation, hence this class.
 */
public final class PythonFloat {
    private static final int MAX_SIGNIFICANT_DIGITS = 17;

    private PythonFloat() {
    }

    /**
     * The text Python's {@code repr(value)} returns for the same double.
     *
     * <pre>{@code
     * PythonFloat.repr(1e-5)  // "1e-05"
     * PythonFloat.repr(3.0)   // "3.0"
     * }</pre>
     */
    public static String repr(double value) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        String sign = (Double.doubleToRawLongBits(value) < 0) ? "-" : "";
        if (value == 0) {
            return sign + "0.0";
        }
        BigDecimal shortest = shortestRoundTrip(Math.abs(value));
        String digits = shortest.unscaledValue().toString();
        // value = 0.<digits> * 10^pointPosition, Python's "decpt"
        int pointPosition = digits.length() - shortest.scale();
        if (pointPosition <= -4 || pointPosition > 16) {
            return sign + scientific(digits, pointPosition - 1);
        }
        return sign + fixed(digits, pointPosition);
    }

    private static String scientific(String digits, int exponent) {
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return mantissa + "e" + String.format("%+03d", exponent);
    }

    private static String fixed(String digits, int pointPosition) {
        if (pointPosition <= 0) {
            return "0." + "0".repeat(-pointPosition) + digits;
        }
        if (pointPosition < digits.length()) {
            return digits.substring(0, pointPosition) + "." + digits.substring(pointPosition);
        }
        return digits + "0".repeat(pointPosition - digits.length()) + ".0";
    }

    /**
     * The shortest decimal that parses back to {@code value} (positive, finite), without trailing
     * zeros. At each precision the correctly rounded candidate and its two neighbours are tried,
     * because next to a power of two the rounding interval is lopsided.
     */
    private static BigDecimal shortestRoundTrip(double value) {
        BigDecimal exact = new BigDecimal(value);
        for (int precision = 1; precision <= MAX_SIGNIFICANT_DIGITS; precision++) {
            BigDecimal rounded = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
            BigDecimal step = rounded.ulp();
            BigDecimal best = null;
            for (BigDecimal candidate : new BigDecimal[] {rounded, rounded.subtract(step), rounded.add(step)}) {
                if (candidate.signum() > 0 && candidate.doubleValue() == value
                        && (best == null || candidate.subtract(exact).abs().compareTo(best.subtract(exact).abs()) < 0)) {
                    best = candidate;
                }
            }
            if (best != null) {
                return best.stripTrailingZeros();
            }
        }
        // 17 significant digits always round-trip; kept for the compiler.
        return exact.round(new MathContext(MAX_SIGNIFICANT_DIGITS, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }
}
