"""Lambda handler code the library ships (deployed as an asset directory)."""
