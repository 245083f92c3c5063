"""Builds the compiled modules (pipelines/privacy/*.pyx, kaifang/*.pyx); everything else is in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

modules = [Extension(f"pipelines.privacy.{m}", [f"pipelines/privacy/{m}.pyx"], extra_compile_args=["-O3"])
           for m in ("_scan", "_methods")]
# keyed pseudonyms over OpenSSL's SHA-256 (the libcrypto Python's hashlib loads); optional: without
# that library the build goes on and pseudonyms come from polars-hash
modules.append(Extension("pipelines.privacy._hmac", ["pipelines/privacy/_hmac.pyx"], extra_compile_args=["-O3"],
                         libraries=[":libcrypto.so.3"], optional=True))
modules += [Extension(f"kaifang.{m}", [f"kaifang/{m}.pyx"], extra_compile_args=["-O3"]) for m in ("_bytes", "_arrow")]
setup(ext_modules=cythonize(modules, compiler_directives={"language_level": "3"}, quiet=True))
