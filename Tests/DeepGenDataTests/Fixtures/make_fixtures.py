# Regenerates the .npy and IDX fixtures with numpy (run from this folder).
import gzip, struct
import numpy as np

np.save('float32_2x3.npy', np.array([[1.5, -2, 0], [3.25, 1e-3, -7]], dtype=np.float32))
np.save('uint8_4.npy', np.array([0, 1, 254, 255], dtype=np.uint8))
np.save('int64_2x2.npy', np.array([[-1, 2**40], [3, -(2**50)]], dtype=np.int64))
np.save('scalar_f4.npy', np.array(2.5, dtype=np.float32))
np.lib.format.write_array(open('v2_float32.npy', 'wb'), np.arange(6, dtype=np.float32).reshape(3, 2), version=(2, 0))
np.save('fortran.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save('float64.npy', np.arange(3, dtype=np.float64))
np.save('bigendian.npy', np.arange(3, dtype='>f4'))

def idx(a):
    return bytes([0, 0, 8, a.ndim]) + b''.join(struct.pack('>I', d) for d in a.shape) + a.tobytes()

imgs = np.arange(60, dtype=np.uint8).reshape(3, 4, 5) * 4
lbl = np.array([7, 9, 7], dtype=np.uint8)
open('tiny-images-idx3-ubyte', 'wb').write(idx(imgs))
open('tiny-labels-idx1-ubyte', 'wb').write(idx(lbl))
open('tiny-images-idx3-ubyte.gz', 'wb').write(gzip.compress(idx(imgs), mtime=0))
open('tiny-labels-idx1-ubyte.gz', 'wb').write(gzip.compress(idx(lbl), mtime=0))
open('four-labels-idx1-ubyte', 'wb').write(idx(np.array([1, 2, 3, 4], dtype=np.uint8)))
