/**
 * The part of the ONNX protobuf schema (onnx.proto, IR version 7+) that a
 * model of recurrent operators needs, as a protobufjs JSON descriptor: the
 * message and field numbers are the standard's, so the bytes are what any
 * ONNX reader expects. Fields this library never reads or writes (sparse
 * tensors, training info, functions, external data) are left out; protobuf
 * readers skip unknown fields, so files that carry them still decode.
 */

import protobuf from 'protobufjs/light.js';

const f = (id: number, type: string, rule?: 'repeated'): { id: number; type: string; rule?: 'repeated' } => (rule ? { id, type, rule } : { id, type });

/** The ONNX messages, under the package `onnx`. */
export const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: f(1, 'int64'),
            opset_import: f(8, 'OperatorSetIdProto', 'repeated'),
            producer_name: f(2, 'string'),
            producer_version: f(3, 'string'),
            domain: f(4, 'string'),
            model_version: f(5, 'int64'),
            doc_string: f(6, 'string'),
            graph: f(7, 'GraphProto'),
            metadata_props: f(14, 'StringStringEntryProto', 'repeated'),
          },
        },
        StringStringEntryProto: { fields: { key: f(1, 'string'), value: f(2, 'string') } },
        OperatorSetIdProto: { fields: { domain: f(1, 'string'), version: f(2, 'int64') } },
        GraphProto: {
          fields: {
            node: f(1, 'NodeProto', 'repeated'),
            name: f(2, 'string'),
            initializer: f(5, 'TensorProto', 'repeated'),
            doc_string: f(10, 'string'),
            input: f(11, 'ValueInfoProto', 'repeated'),
            output: f(12, 'ValueInfoProto', 'repeated'),
            value_info: f(13, 'ValueInfoProto', 'repeated'),
          },
        },
        NodeProto: {
          fields: {
            input: f(1, 'string', 'repeated'),
            output: f(2, 'string', 'repeated'),
            name: f(3, 'string'),
            op_type: f(4, 'string'),
            domain: f(7, 'string'),
            attribute: f(5, 'AttributeProto', 'repeated'),
            doc_string: f(6, 'string'),
          },
        },
        AttributeProto: {
          fields: {
            name: f(1, 'string'),
            doc_string: f(13, 'string'),
            type: f(20, 'int32'),
            f: f(2, 'float'),
            i: f(3, 'int64'),
            s: f(4, 'bytes'),
            t: f(5, 'TensorProto'),
            g: f(6, 'GraphProto'),
            floats: f(7, 'float', 'repeated'),
            ints: f(8, 'int64', 'repeated'),
            strings: f(9, 'bytes', 'repeated'),
            tensors: f(10, 'TensorProto', 'repeated'),
            graphs: f(11, 'GraphProto', 'repeated'),
          },
        },
        ValueInfoProto: { fields: { name: f(1, 'string'), type: f(2, 'TypeProto'), doc_string: f(3, 'string') } },
        TypeProto: {
          fields: { tensor_type: f(1, 'TypeProtoTensor'), denotation: f(6, 'string') },
        },
        TypeProtoTensor: { fields: { elem_type: f(1, 'int32'), shape: f(2, 'TensorShapeProto') } },
        TensorShapeProto: { fields: { dim: f(1, 'Dimension', 'repeated') } },
        Dimension: { fields: { dim_value: f(1, 'int64'), dim_param: f(2, 'string'), denotation: f(3, 'string') } },
        TensorProto: {
          fields: {
            dims: f(1, 'int64', 'repeated'),
            data_type: f(2, 'int32'),
            float_data: f(4, 'float', 'repeated'),
            int32_data: f(5, 'int32', 'repeated'),
            string_data: f(6, 'bytes', 'repeated'),
            int64_data: f(7, 'int64', 'repeated'),
            name: f(8, 'string'),
            doc_string: f(12, 'string'),
            raw_data: f(9, 'bytes'),
            data_location: f(14, 'int32'),
            double_data: f(10, 'double', 'repeated'),
          },
        },
      },
    },
  },
};

/** TensorProto.DataType values this library uses. */
export const ONNX_DTYPE = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType values this library uses. */
export const ONNX_ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

let root: protobuf.Root | null = null;

/** The schema's root, built once. */
export function onnxTypes(): { Model: protobuf.Type } {
  root ??= protobuf.Root.fromJSON(ONNX_SCHEMA);
  return { Model: root.lookupType('onnx.ModelProto') };
}
