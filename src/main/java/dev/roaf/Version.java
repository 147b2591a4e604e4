package dev.roaf;

/** The roaf release this code is. */
public final class Version {
    /** The version string, as in the Maven POM. */
    public static final String VERSION = "0.1.0-SNAPSHOT";

    private Version() {
    }
}
