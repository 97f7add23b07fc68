#pragma once
/// The part every table model of the workbench shares: rows held by value in a
/// std::vector, replaced whole under beginResetModel()/endResetModel(), and a fixed list of
/// columns, each with a header, a header tool tip and an alignment for its cells and header.
///
/// A model derives from VectorTableModel<Row>, passes its columns to the constructor and
/// states its cell values in cellData(); rowCount(), columnCount(), headerData(), IdRole and
/// TextAlignmentRole come from here. `Row` needs a `qint64 id` member (answered as IdRole).
#include <QAbstractTableModel>
#include <QString>

#include <utility>
#include <vector>

namespace taskmoe::ui {

/// The role under which the models return a sortable value (numbers, QDateTime, text).
inline constexpr int SortRole = Qt::UserRole;
/// The role under which the models return a row's record id (qint64).
inline constexpr int IdRole = Qt::UserRole + 1;

/// Alignment of numeric columns (cells and header).
inline constexpr Qt::Alignment NumberAlignment = Qt::AlignRight | Qt::AlignVCenter;
/// Alignment of text columns (cells and header).
inline constexpr Qt::Alignment TextAlignment = Qt::AlignLeft | Qt::AlignVCenter;

/// One column of a table model, in the order of the model's Column enum.
struct TableColumn
{
    QString title;                           ///< header text
    QString toolTip;                         ///< header tool tip; empty for none
    Qt::Alignment alignment = TextAlignment; ///< of the cells and the header
};

template <typename Row>
class VectorTableModel : public QAbstractTableModel
{
public:
    /// Replaces all rows (one model reset).
    void setRows(std::vector<Row> rows)
    {
        beginResetModel();
        m_rows = std::move(rows);
        endResetModel();
    }
    void clear() { setRows({}); }

    /// Replaces the rows keeping views' selections where it can: the same ids in the same
    /// order only change cells (dataChanged), new ids appended after the old ones are
    /// inserted, anything else resets the model. For models that refresh while shown.
    void updateRows(std::vector<Row> rows)
    {
        const size_t old = m_rows.size();
        bool prefix = rows.size() >= old;
        for (size_t i = 0; prefix && i < old; ++i)
            prefix = rows[i].id == m_rows[i].id;
        if (!prefix) {
            setRows(std::move(rows));
            return;
        }
        for (size_t i = 0; i < old; ++i)
            m_rows[i] = std::move(rows[i]);
        if (old > 0)
            emit dataChanged(index(0, 0), index(static_cast<int>(old) - 1, columnCount() - 1));
        if (rows.size() > old) {
            beginInsertRows(QModelIndex(), static_cast<int>(old), static_cast<int>(rows.size()) - 1);
            for (size_t i = old; i < rows.size(); ++i)
                m_rows.push_back(std::move(rows[i]));
            endInsertRows();
        }
    }

    const std::vector<Row> &rows() const { return m_rows; }
    /// The record shown in `row`, or nullptr when the row does not exist.
    const Row *rowAt(int row) const
    {
        if (row < 0 || row >= static_cast<int>(m_rows.size()))
            return nullptr;
        return &m_rows[static_cast<size_t>(row)];
    }
    /// The row of the record with this id, or -1.
    int rowOfId(qint64 id) const
    {
        for (size_t i = 0; i < m_rows.size(); ++i) {
            if (m_rows[i].id == id)
                return static_cast<int>(i);
        }
        return -1;
    }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override
    {
        return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
    }
    int columnCount(const QModelIndex &parent = QModelIndex()) const override
    {
        return parent.isValid() ? 0 : static_cast<int>(m_columns.size());
    }

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override
    {
        if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
            return {};
        const Row &row = m_rows[static_cast<size_t>(index.row())];
        if (role == IdRole)
            return row.id;
        // Qt 6.4's item delegates read TextAlignmentRole with toInt(): answer a plain int.
        if (role == Qt::TextAlignmentRole)
            return int(m_columns[static_cast<size_t>(index.column())].alignment);
        return cellData(row, index.column(), role);
    }

    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override
    {
        if (orientation != Qt::Horizontal)
            return QAbstractTableModel::headerData(section, orientation, role);
        if (section < 0 || section >= columnCount())
            return {};
        const TableColumn &column = m_columns[static_cast<size_t>(section)];
        switch (role) {
        case Qt::DisplayRole:
            return column.title;
        case Qt::ToolTipRole:
            return column.toolTip.isEmpty() ? QVariant() : QVariant(column.toolTip);
        case Qt::TextAlignmentRole:
            return int(column.alignment);
        default:
            return QAbstractTableModel::headerData(section, orientation, role);
        }
    }

protected:
    explicit VectorTableModel(std::vector<TableColumn> columns, QObject *parent = nullptr)
        : QAbstractTableModel(parent), m_columns(std::move(columns))
    {
    }

    /// The value of `column` of `row` for `role` (any role but IdRole and
    /// TextAlignmentRole), or an invalid QVariant. `column` is in range.
    virtual QVariant cellData(const Row &row, int column, int role) const = 0;

private:
    std::vector<Row> m_rows;
    std::vector<TableColumn> m_columns;
};

} // namespace taskmoe::ui
